// Redis killed in the middle of a load, then restarted from its append-only file: generate
// fails closed with a quick 503, not one upstream call is made without a reservation, /readyz
// says why, the service resumes without a restart, and no acknowledged credit is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { SEED_BODY, startGateway, type CreatedKey, type TestGateway } from '../helpers/gateway.js';

const REDIS_TIMEOUT_MS = 300;
/** The shortest lease the configuration accepts: UPSTREAM_TIMEOUT_MS + REDIS_TIMEOUT_MS + 5 s. */
const LEASE_MS = 5_800;
let redis: RedisServer;
let gw: TestGateway;

beforeAll(async () => {
  redis = await startRedis({ appendOnly: true });
  gw = await startGateway({
    redisUrl: redis.url,
    env: {
      REDIS_TIMEOUT_MS: String(REDIS_TIMEOUT_MS),
      UPSTREAM_TIMEOUT_MS: '500',
      RESERVATION_LEASE_MS: String(LEASE_MS),
    },
  });
});
afterAll(async () => {
  await gw.close();
  await redis.destroy();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a Redis outage under load', () => {
  it('fails closed, forwards nothing unreserved, recovers, and loses no credit', async () => {
    const key: CreatedKey = await gw.createKey();
    const accepted: string[] = [];
    const refusals: number[] = [];
    const statuses: Record<number, number> = {};
    let running = true;

    const worker = async () => {
      while (running) {
        const started = Date.now();
        const response = await gw.generate(key.key, SEED_BODY);
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
        if (response.statusCode === 202) accepted.push(response.json().jobId);
        if (response.statusCode === 503) refusals.push(Date.now() - started);
      }
    };
    const load = Promise.all(Array.from({ length: 4 }, worker));

    await sleep(400);
    await redis.stop();
    await sleep(150);
    const readiness = await gw.inject({ method: 'GET', url: '/readyz' });
    // A request that arrives during the outage (the workers may all be busy recording jobs
    // Apiframe accepted just before it, which they retry rather than fail).
    const started = Date.now();
    const probe = await gw.generate(key.key, SEED_BODY);
    expect(probe.statusCode).toBe(503);
    refusals.push(Date.now() - started);
    await sleep(200);
    await redis.start();
    await sleep(600);
    running = false;
    await load;

    expect(readiness.statusCode).toBe(503);
    expect(readiness.json().reason).toMatch(/^redis/);
    expect(refusals.length).toBeGreaterThan(0);
    expect(Math.max(...refusals)).toBeLessThan(REDIS_TIMEOUT_MS * 3 + 500);

    // Reservations left open by requests caught in the outage are released once their lease ends.
    await sleep(LEASE_MS + 100);
    await gw.app.services.backgroundSettlement.settleOnce();
    const store = gw.app.services.store;
    expect(await store.expiredReservations(key.team, Number.MAX_SAFE_INTEGER, 100)).toEqual([]);

    // Every job acknowledged with 202 is on record (those the outage kept from it, by the reconciler's pass).
    for (const jobId of accepted) expect(await store.getJob(key.team, jobId), jobId).not.toBeNull();

    // Every call that reached Apiframe had its credits reserved first.
    const ledger = await store.readLedger(key.team, null, 100_000);
    const reserved = new Set(ledger.filter((entry) => entry.kind === 'reserve').map((entry) => entry.requestId));
    const forwarded = gw.sim.requests
      .filter((request) => request.method === 'POST')
      .map((request) => String(request.headers['x-request-id']));
    expect(forwarded.filter((requestId) => !reserved.has(requestId))).toEqual([]);

    // The counters and the ledger still agree to the credit.
    expect((await gw.spend(key)).total).toBe(ledger.reduce((sum, entry) => sum + entry.credits, 0));
    const after = await gw.generate(key.key, SEED_BODY);
    expect(after.statusCode).toBe(202);
    console.log(
      `Redis outage under load: ${JSON.stringify(statuses)}; 503s answered in at most ${Math.max(...refusals)} ms; ` +
        `${forwarded.length} upstream calls, all reserved first; ${accepted.length} acknowledged jobs all kept through the AOF restart`,
    );
  }, 30_000);
});
