// Reconciliation asks Apiframe gently: a bounded number of job reads in flight (measured at the
// simulator), one reconciliation at a time per instance, a bounded number of requests per call
// with its progress and a cursor to go on, and a per-caller rate limit held across instances.
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import {
  ADMIN_TOKEN,
  SEED_BODY,
  startGateway,
  UPSTREAM_KEY,
  type CreatedKey,
  type TestGateway,
} from '../helpers/gateway.js';

const JOBS = 30;
const SLOW_MS = 150;
const JOB_READS = 'GET /v2/jobs/:id';
/** The bounds the README promises. */
const CONCURRENCY = 4;
const RECONCILIATIONS_PER_MINUTE = 10;

let redis: RedisServer;
let sim: Simulator;
let gw: TestGateway;
let other: TestGateway;
let spender: CreatedKey;
let jobIds: string[];

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0, prices: { 'seedream-4': 3 } });
  gw = await startGateway({ sim, redisUrl: redis.url });
  other = await startGateway({ sim, redisUrl: redis.url });
  spender = await gw.createKey();
  // Every read of these jobs at Apiframe takes SLOW_MS; nothing polls them before the reconciliation.
  const submitted = await Promise.all(
    Array.from({ length: JOBS }, () =>
      gw.generate(spender.key, { ...SEED_BODY, prompt: `slow [sim:latency=${SLOW_MS}]` }),
    ),
  );
  jobIds = submitted.map((response) => response.json().jobId);
}, 30_000);
afterAll(async () => {
  await gw.close();
  await other.close();
  await sim.close();
  await redis.destroy();
});

async function financeKey(): Promise<{ authorization: string }> {
  const key = await gw.createKey({ team: 'finance', scopes: ['usage:read:all'] });
  return { authorization: `Bearer ${key.key}` };
}

const reconcile = (on: TestGateway, headers: Record<string, string>, query = '') =>
  on.inject({ method: 'GET', url: `/admin/usage/reconciliation?${query}`, headers });

describe('reconciliation load on Apiframe', () => {
  it(`never has more than ${CONCURRENCY} job reads in flight at Apiframe`, async () => {
    const response = await reconcile(gw, await financeKey(), `team=${spender.team}&limit=1000`);
    expect(response.json().progress).toMatchObject({ jobsChecked: JOBS, jobsRemaining: 0, complete: true });
    expect(response.json().unsettled).toHaveLength(JOBS);
    expect(sim.peakInFlight(JOB_READS)).toBeLessThanOrEqual(CONCURRENCY);
    expect(sim.peakInFlight(JOB_READS)).toBeGreaterThan(1);
  });

  it('checks at most `limit` jobs per call and reports its progress, and the cursor walks the whole period once', async () => {
    const headers = await financeKey();
    const seen: string[] = [];
    const parts = [];
    let cursor = '';
    for (let call = 0; call < 10; call++) {
      const part = (await reconcile(gw, headers, `limit=12${cursor && `&cursor=${cursor}`}`)).json();
      parts.push(part.progress);
      seen.push(...part.unsettled.map((line: { jobId: string }) => line.jobId));
      if (part.progress.complete) break;
      cursor = part.progress.next;
    }
    expect(parts.map(({ next, ...progress }) => ({ ...progress, next: typeof next }))).toEqual([
      { jobsChecked: 12, jobsRemaining: 18, apiframePagesRead: 0, complete: false, next: 'string' },
      { jobsChecked: 12, jobsRemaining: 6, apiframePagesRead: 0, complete: false, next: 'string' },
      // The last 6 jobs, then Apiframe's account-wide list: its 30 jobs fit in one page of 100.
      { jobsChecked: 6, jobsRemaining: 0, apiframePagesRead: 1, complete: true, next: 'object' },
    ]);
    expect(seen.sort()).toEqual([...jobIds].sort());
  });

  it('continues Apiframe’s account-wide list in a later call when the budget runs out on it', async () => {
    const headers = await financeKey();
    let part = (await reconcile(gw, headers, `team=${spender.team}&limit=${JOBS}`)).json();
    expect(part.progress).toMatchObject({ jobsChecked: JOBS, complete: true });
    part = (await reconcile(gw, headers, `limit=${JOBS}`)).json();
    expect(part.progress).toMatchObject({ jobsChecked: JOBS, apiframePagesRead: 0, complete: false });
    part = (await reconcile(gw, headers, `limit=${JOBS}&cursor=${part.progress.next}`)).json();
    expect(part.progress).toEqual({
      jobsChecked: 0,
      jobsRemaining: 0,
      apiframePagesRead: 1,
      complete: true,
      next: null,
    });
    expect(part.summary).toMatchObject({ jobs: 0, unknownToGateway: 0 });
  });

  it('runs one reconciliation at a time per instance: a concurrent call gets 429 with Retry-After', async () => {
    const headers = await financeKey();
    const readsBefore = sim.requests.length;
    const first = reconcile(gw, headers, `team=${spender.team}&limit=1000`);
    await expect.poll(() => sim.requests.length > readsBefore, { timeout: 5_000 }).toBe(true);
    const second = await reconcile(gw, await financeKey(), `team=${spender.team}`);
    expect(second.statusCode).toBe(429);
    expect(second.headers['retry-after']).toBe('5');
    expect(second.json()).toEqual({
      error: 'A reconciliation is already running on this gateway instance (one at a time); retry when it ends',
      code: 'GW_RECONCILIATION_BUSY',
    });
    expect((await first).json().progress).toMatchObject({ jobsChecked: JOBS, complete: true });
    expect(sim.peakInFlight(JOB_READS)).toBeLessThanOrEqual(CONCURRENCY);
    expect((await reconcile(gw, headers, `team=${spender.team}&limit=1`)).statusCode).toBe(200);
  });

  it('refuses a cursor it did not hand out with 400, before asking Apiframe anything', async () => {
    const headers = await financeKey();
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const requestsBefore = sim.requests.length;
    for (const cursor of [
      'nope',
      encode({}),
      encode(['jobs', 'x', 'y']),
      encode(['jobs', 1]),
      encode(['apiframe', 5]),
      encode(['elsewhere', null]),
    ]) {
      const response = await reconcile(gw, headers, `cursor=${cursor}`);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'GW_VALIDATION_FAILED',
        details: { cursor: ['is not a valid cursor'] },
      });
    }
    expect(sim.requests.length).toBe(requestsBefore);
  });

  it('answers 502 when Apiframe cannot list its jobs, never 500', async () => {
    const listPhase = Buffer.from(JSON.stringify(['apiframe', null])).toString('base64url');
    sim.failAll(503);
    try {
      const response = await reconcile(gw, await financeKey(), `cursor=${listPhase}`);
      expect(response.statusCode).toBe(502);
      expect(response.json()).toEqual({
        error: 'Upstream service error; retry later',
        code: 'GW_UPSTREAM_UNAVAILABLE',
      });
    } finally {
      sim.failAll(null);
    }
  });

  it('answers 502 when Apiframe lists its jobs in a shape it does not document, never 500', async () => {
    let body = '';
    const oddApiframe = createServer((_request, response) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end(body),
    );
    await new Promise<void>((resolve) => oddApiframe.listen(0, '127.0.0.1', resolve));
    const odd = await startGateway({
      sim,
      redisUrl: redis.url,
      env: { APIFRAME_BASE_URL: `http://127.0.0.1:${(oddApiframe.address() as { port: number }).port}` },
    });
    const listPhase = Buffer.from(JSON.stringify(['apiframe', null])).toString('base64url');
    try {
      for (const shape of [
        '{}',
        '{"jobs":{},"hasMore":false,"nextCursor":null}',
        '{"jobs":[{"status":"COMPLETED"}],"hasMore":false,"nextCursor":null}',
      ]) {
        body = shape;
        const response = await reconcile(odd, await financeKey(), `cursor=${listPhase}`);
        expect(response.statusCode, shape).toBe(502);
      }
    } finally {
      await odd.close();
      oddApiframe.close();
    }
  });

  it(`limits each caller to ${RECONCILIATIONS_PER_MINUTE} calls a minute across instances; the admin token is one caller`, async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const quiet = 'team=nobody-here';
    for (let call = 0; call < RECONCILIATIONS_PER_MINUTE; call++) {
      expect((await reconcile(call % 2 === 0 ? gw : other, admin, quiet)).statusCode).toBe(200);
    }
    const refused = await reconcile(other, admin, quiet);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toEqual({
      error: `Rate limit exceeded: reconciliation requests are limited to ${RECONCILIATIONS_PER_MINUTE} a minute for this key; retry later`,
      code: 'GW_RATE_LIMITED',
    });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['ratelimit-policy']).toBe(`"reconciliation";q=${RECONCILIATIONS_PER_MINUTE};w=60`);
    expect((await reconcile(gw, await financeKey(), quiet)).statusCode).toBe(200);
  });
});
