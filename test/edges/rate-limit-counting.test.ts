// Where per-key rate limits are counted: a submission in its reservation's script and a poll in
// its read of the job, so that limits cost no Redis round trip of their own, stay exact across
// instances and refuse before anything is reserved; requests refused before they reach the
// store are not counted.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SEED_BODY,
  gatewaysSharingRedis,
  startGateway,
  type CreatedKey,
  type TestGateway,
} from '../helpers/gateway.js';
import { monitorRedis } from '../helpers/redis-monitor.js';

const env = { RATE_LIMIT_GENERATE_PER_MINUTE: '10', RATE_LIMIT_READS_PER_MINUTE: '1000' };
const shared = gatewaysSharingRedis({ env });
let memory: TestGateway;
beforeAll(async () => {
  memory = await startGateway({ sim: shared.sim, env });
});
afterAll(async () => {
  await memory.close();
});

/** Every instance beats on the change channel, whatever the load: no request's round trip. */
const isHeartbeat = (args: string[]) =>
  args[0]?.toLowerCase() === 'evalsha' && (args[3]?.endsWith(':changes') ?? false);

/**
 * Redis round trips per request while `send` runs `count` requests one after another, counted
 * with MONITOR (a script counts once, the commands it runs not at all; MULTI … EXEC once), the
 * fewest of three tries: while the change feed lags (a busy machine can delay its heartbeats) the
 * gateway reads keys from Redis rather than trust its cache, which is not what is measured here.
 */
async function roundTripsPerRequest(count: number, send: () => Promise<unknown>): Promise<number> {
  let fewest = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 3 && fewest > 2; attempt++) {
    await expect.poll(() => shared.first.app.services.store.changesLive()).toBe(true);
    fewest = Math.min(fewest, await countRoundTrips(count, send));
  }
  return fewest;
}

async function countRoundTrips(count: number, send: () => Promise<unknown>): Promise<number> {
  let calls = 0;
  let lastAt = Date.now();
  let inTransaction = false;
  const monitor = await monitorRedis(shared.redis.url, ({ args, source }) => {
    if (source === 'lua' || isHeartbeat(args)) return;
    lastAt = Date.now();
    const command = args[0]?.toLowerCase();
    if (command === 'multi') inTransaction = true;
    if (command === 'exec') inTransaction = false;
    else if (!inTransaction || command === 'multi') calls += 1;
  });
  const quiet = async () => {
    while (Date.now() - lastAt < 200) await new Promise((resolve) => setTimeout(resolve, 25));
  };
  await quiet();
  calls = 0;
  for (let i = 0; i < count; i++) await send();
  await quiet();
  monitor.stop();
  return calls / count;
}

const refusedFor = (responses: { statusCode: number }[]) => responses.filter((r) => r.statusCode === 429).length;
const acceptedFor = (responses: { statusCode: number }[]) => responses.filter((r) => r.statusCode === 202).length;

describe('rate limits counted in the calls requests already make', () => {
  it('costs a submission two Redis round trips (reserve, attach) and a poll one, limits on', async () => {
    const key = await shared.first.createKey({ rateLimit: { generatePerMinute: 100, readsPerMinute: null } });
    const warm = await shared.first.generate(key.key);
    expect(warm.headers.ratelimit).toMatch(/^"generate";r=99;t=\d+$/);
    expect(await roundTripsPerRequest(5, () => shared.first.generate(key.key))).toBe(2);

    const { jobId } = warm.json<{ jobId: string }>();
    expect((await shared.first.poll(key.key, jobId)).json()).toMatchObject({ status: 'COMPLETED' });
    const polls = await roundTripsPerRequest(20, async () => {
      const answer = await shared.first.poll(key.key, jobId);
      expect(answer.headers.ratelimit).toMatch(/^"reads";r=\d+;t=\d+$/);
    });
    expect(polls).toBe(1);
  });

  it('holds a limit of 10 exactly across two instances: 30 concurrent submissions, 10 accepted', async () => {
    const key = await shared.first.createKey();
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => [shared.first, shared.second][i % 2]!.generate(key.key)),
    );
    expect(acceptedFor(responses)).toBe(10);
    expect(refusedFor(responses)).toBe(20);
    expect((await shared.first.spend(key)).total).toBe(30);
  });

  it('reserves nothing for a refused submission: no ledger entry, no reservation, nothing sent', async () => {
    const key = await shared.first.createKey({ rateLimit: { generatePerMinute: 1, readsPerMinute: null } });
    expect((await shared.first.generate(key.key)).statusCode).toBe(202);
    const sent = shared.sim.requests.length;
    const refused = await shared.first.generate(key.key, { ...SEED_BODY, prompt: 'over the quota' });
    expect(refused.statusCode).toBe(429);
    expect(shared.sim.requests.length).toBe(sent);
    const store = shared.first.app.services.store;
    const entries = await store.readLedger(key.team, null, 100);
    expect(entries.map((entry) => entry.kind)).toEqual(['reserve']);
    expect(await store.expiredReservations(key.team, Date.now() + 86_400_000, 10)).toEqual([]);
    expect((await shared.first.spend(key)).total).toBe(3);
  });

  it('counts a submission with an Idempotency-Key once, before its record is read', async () => {
    const key = await shared.first.createKey({ rateLimit: { generatePerMinute: 3, readsPerMinute: null } });
    const send = (idempotencyKey: string) =>
      shared.first.inject({
        method: 'POST',
        url: '/v2/images/generate',
        headers: { 'x-api-key': key.key, 'idempotency-key': idempotencyKey },
        payload: SEED_BODY,
      });
    const answers = [];
    for (const idempotencyKey of ['a', 'a', 'b', 'c']) answers.push(await send(idempotencyKey));
    expect(answers.map((answer) => answer.statusCode)).toEqual([202, 202, 202, 429]);
    expect(answers.map((answer) => answer.headers.ratelimit)).toEqual(
      [2, 1, 0, 0].map((remaining) => expect.stringMatching(new RegExp(`^"generate";r=${remaining};t=\\d+$`))),
    );
    expect(answers[1]!.headers['idempotent-replayed']).toBe('true');
  });

  it('does not count a body refused before it reaches the store', async () => {
    const key = await shared.first.createKey({ rateLimit: { generatePerMinute: 2, readsPerMinute: null } });
    for (let i = 0; i < 4; i++) {
      expect((await shared.first.generate(key.key, { ...SEED_BODY, model: 'no-such-model' })).statusCode).toBe(400);
    }
    const responses = await Promise.all(Array.from({ length: 3 }, () => shared.first.generate(key.key)));
    expect(acceptedFor(responses)).toBe(2);
    expect(refusedFor(responses)).toBe(1);
  });

  it('counts a submission naming a webhookUrl before its host is checked, so over the quota it is only a 429', async () => {
    const hooks = await startGateway({
      sim: shared.sim,
      redisUrl: shared.redis.url,
      env: { ...env, PUBLIC_BASE_URL: 'https://gateway.example' },
    });
    try {
      const key = await hooks.createKey({ rateLimit: { generatePerMinute: 1, readsPerMinute: null } });
      const withHook = { ...SEED_BODY, webhookUrl: 'https://127.0.0.1/hook' };
      expect((await hooks.generate(key.key, withHook)).statusCode).toBe(400);
      const overQuota = await hooks.generate(key.key, withHook);
      expect(overQuota.statusCode, overQuota.body).toBe(429);
    } finally {
      await hooks.close();
    }
  });

  it('counts every concurrent poll of one job, unknown jobs too, on Redis and in memory', async () => {
    for (const gateway of [shared.first, memory]) {
      const key: CreatedKey = await gateway.createKey({ rateLimit: { generatePerMinute: null, readsPerMinute: 6 } });
      const { jobId } = (await gateway.generate(key.key)).json<{ jobId: string }>();
      expect((await gateway.poll(key.key, randomUUID())).statusCode).toBe(404);
      const polls = await Promise.all(Array.from({ length: 8 }, () => gateway.poll(key.key, jobId)));
      expect(polls.filter((r) => r.statusCode === 200)).toHaveLength(5);
      expect(refusedFor(polls)).toBe(3);
      expect(polls.find((r) => r.statusCode === 429)!.headers['retry-after']).toMatch(/^\d+$/);
    }
  });

  it('shares one budget between submissions counted in the reservation and other routes', async () => {
    const key = await memory.createKey({ rateLimit: { generatePerMinute: null, readsPerMinute: 2 } });
    const listed = await memory.inject({ method: 'GET', url: '/v2/jobs', headers: { 'x-api-key': key.key } });
    expect(listed.headers.ratelimit).toMatch(/^"reads";r=1;t=\d+$/);
    const { jobId } = (await memory.generate(key.key)).json<{ jobId: string }>();
    expect((await memory.poll(key.key, jobId)).headers.ratelimit).toMatch(/^"reads";r=0;t=\d+$/);
    expect((await memory.poll(key.key, jobId)).statusCode).toBe(429);
  });
});
