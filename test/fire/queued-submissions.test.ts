// Submissions queued behind a slow Apiframe on one connection, with another instance's
// reconciler releasing every lease that runs out: the instance working on a submission keeps
// its lease alive, and one that waits too long for a connection gives up before it is sent, so
// no live reservation is released, nothing is recorded without one, the budget holds and
// Apiframe charges exactly what the ledger says. Before, this spent 45 credits of 30.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { SEED_BODY, startGateway, UPSTREAM_KEY, type TestGateway } from '../helpers/gateway.js';

/** The shortest lease the configuration accepts for these timeouts: 2000 + 500 + 5000. */
const LEASE_MS = 7_500;
const SLOW_PROMPT = `${SEED_BODY.prompt} [sim:latency=1500]`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let redis: RedisServer;
let sim: Simulator;
let reconciling: TestGateway;
let submitting: GatewayProcess;

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 100, prices: { 'seedream-4': 3 } });
  reconciling = await startGateway({
    sim,
    redisUrl: redis.url,
    reconcile: true,
    env: { RECONCILE_INTERVAL_MS: '200' },
  });
  submitting = await startGatewayProcess({
    REDIS_URL: redis.url,
    APIFRAME_API_KEY: UPSTREAM_KEY,
    APIFRAME_BASE_URL: sim.url,
    UPSTREAM_CONNECTIONS: '1',
    UPSTREAM_TIMEOUT_MS: '2000',
    REDIS_TIMEOUT_MS: '500',
    RESERVATION_LEASE_MS: String(LEASE_MS),
  });
}, 30_000);
afterAll(async () => {
  await submitting?.stop();
  await reconciling.close();
  await sim.close();
  await redis.destroy();
});

describe('submissions queued for a single upstream connection', () => {
  it('keep their reservations while queued or sent, give up unsent: the budget holds, Apiframe charges what the ledger says', async () => {
    const key = await reconciling.createKey({ budget: { credits: 30, period: 'total' } });
    const submit = () =>
      fetch(`${submitting.url}/v2/images/generate`, {
        method: 'POST',
        headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
        body: JSON.stringify({ ...SEED_BODY, prompt: SLOW_PROMPT }),
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as { jobId?: string } }));
    const wave = () => Array.from({ length: 10 }, submit);

    const sentBefore = sim.requests.filter((request) => request.method === 'POST').length;
    const first = wave();
    await sleep(LEASE_MS + 1_000);
    const answers = await Promise.all([...first, ...wave()]);

    const accepted = answers.filter((answer) => answer.status === 202).map((answer) => answer.body.jobId!);
    const statuses = answers.map((answer) => answer.status);
    expect(accepted.length).toBeGreaterThan(0);
    expect(
      statuses.every((status) => status === 202 || status === 504 || status === 402),
      JSON.stringify(statuses),
    ).toBe(true);
    // Those that waited too long for the connection were answered 504 and never sent.
    expect(statuses).toContain(504);
    expect(sim.requests.filter((request) => request.method === 'POST').length - sentBefore).toBe(accepted.length);

    // Let every accepted job settle (through the reconciling instance), then count.
    const store = reconciling.app.services.store;
    for (
      let attempt = 0;
      attempt < 100 && (await store.pendingJobs(key.team, Number.MAX_SAFE_INTEGER, 100)).length > 0;
      attempt++
    ) {
      await sleep(100);
    }
    const ledger = await store.readLedger(key.team, null, 1_000);
    const spent = ledger.reduce((sum, entry) => sum + entry.credits, 0);
    expect(ledger.filter((entry) => entry.kind === 'overrun')).toEqual([]);
    expect(ledger.filter((entry) => entry.note === 'lease expired')).toEqual([]);
    for (const jobId of accepted)
      expect(await store.getJob(key.team, jobId), jobId).toMatchObject({ state: 'settled', charged: 3 });
    expect(spent).toBe(3 * accepted.length);
    expect(spent).toBeLessThanOrEqual(30);
    expect((await reconciling.spend(key)).total).toBe(spent);
    expect(sim.chargedCredits()).toBe(spent);
    console.log(
      `queued submissions on one connection: ${JSON.stringify(statuses)}; ${spent} of 30 credits spent, as Apiframe charged; no lease released while its call was live`,
    );
  }, 60_000);

  it('keep their reservation while Apiframe takes longer than the lease: renewed, never released', async () => {
    // A lease of 13.5 s; the second submission waits 7 s for the connection and 7 s for Apiframe.
    const slow = await startGatewayProcess({
      REDIS_URL: redis.url,
      APIFRAME_API_KEY: UPSTREAM_KEY,
      APIFRAME_BASE_URL: sim.url,
      UPSTREAM_CONNECTIONS: '1',
      UPSTREAM_TIMEOUT_MS: '8000',
      REDIS_TIMEOUT_MS: '500',
      RESERVATION_LEASE_MS: '13500',
    });
    try {
      const key = await reconciling.createKey({ budget: { credits: 6, period: 'total' } });
      const submit = () =>
        fetch(`${slow.url}/v2/images/generate`, {
          method: 'POST',
          headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
          body: JSON.stringify({ ...SEED_BODY, prompt: `${SEED_BODY.prompt} [sim:latency=7000]` }),
        }).then((response) => response.status);
      const second = (async () => {
        await sleep(100);
        return submit();
      })();
      // A reconciler on duty without pause: any reservation of this team is released the moment its lease ends.
      const store = reconciling.app.services.store;
      let reaping = true;
      const reaper = (async () => {
        while (reaping) {
          for (const { reservationId, day, model } of await store.expiredReservations(key.team, Date.now(), 100)) {
            await reconciling.app.services.settlement.release(
              { team: key.team, reservationId, day, now: Date.now(), requestId: 'reaper', why: 'lease expired' },
              model,
            );
          }
          await sleep(50);
        }
      })();
      const statuses = await Promise.all([submit(), second]);
      reaping = false;
      await reaper;
      expect(statuses).toEqual([202, 202]);
      const ledger = await store.readLedger(key.team, null, 100);
      // The background settlement may settle the first job meanwhile; what must not be there is a
      // release of a live reservation, or its price taken again after it lapsed.
      const reserved = ledger.filter((entry) => entry.kind === 'reserve');
      expect(reserved.map((entry) => `${entry.credits} ${entry.note}`)).toEqual(['3 ', '3 ']);
      expect(ledger.filter((entry) => entry.kind === 'release' || entry.kind === 'overrun')).toEqual([]);
    } finally {
      await slow.stop();
    }
  }, 60_000);
});
