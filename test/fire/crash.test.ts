// kill -9 of a gateway with reservations in flight: another instance's reconciler settles the
// jobs the dead one had recorded and releases every reservation it left open once its lease
// runs out; the reconciliation report then names the jobs Apiframe ran for the dead requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { ADMIN_TOKEN, SEED_BODY, startGateway, UPSTREAM_KEY, type TestGateway } from '../helpers/gateway.js';

/** The shortest lease the configuration accepts: UPSTREAM_TIMEOUT_MS + REDIS_TIMEOUT_MS + 5 s. */
const LEASE_MS = 7_000;
let redis: RedisServer;
let sim: Simulator;
let survivor: TestGateway;

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0, prices: { 'seedream-4': 3 } });
  survivor = await startGateway({ sim, redisUrl: redis.url });
});
afterAll(async () => {
  await survivor.close();
  await sim.close();
  await redis.destroy();
});

describe('a gateway killed with reservations in flight', () => {
  it('leaves nothing reserved for ever: recorded jobs settle, open reservations are released', async () => {
    const env = {
      REDIS_URL: redis.url,
      APIFRAME_API_KEY: UPSTREAM_KEY,
      APIFRAME_BASE_URL: sim.url,
      UPSTREAM_TIMEOUT_MS: '1500',
      REDIS_TIMEOUT_MS: '500',
      RESERVATION_LEASE_MS: String(LEASE_MS),
    };
    const doomed = await startGatewayProcess(env);
    const key = await survivor.createKey();
    const send = (prompt: string) =>
      fetch(`${doomed.url}/v2/images/generate`, {
        method: 'POST',
        headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
        body: JSON.stringify({ ...SEED_BODY, prompt }),
      }).then(
        (response) => response.status,
        () => 'connection lost' as const,
      );

    const recorded = await Promise.all(Array.from({ length: 10 }, () => send('quick')));
    expect(recorded.every((status) => status === 202)).toBe(true);
    const inFlight = Array.from({ length: 30 }, () => send('slow [sim:latency=1000]'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await doomed.stop('SIGKILL');
    expect((await Promise.all(inFlight)).every((status) => status === 'connection lost')).toBe(true);

    const store = survivor.app.services.store;
    const open = await store.expiredReservations(key.team, Number.MAX_SAFE_INTEGER, 100);
    expect(open).toHaveLength(30);
    expect((await survivor.spend(key)).total).toBe(120);

    await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 100));
    const pass = await survivor.app.services.backgroundSettlement.settleOnce();
    expect(pass).toMatchObject({ released: 30, settled: 10 });
    expect(await store.expiredReservations(key.team, Number.MAX_SAFE_INTEGER, 100)).toEqual([]);
    expect(await store.pendingJobs(key.team, Number.MAX_SAFE_INTEGER, 100)).toEqual([]);
    expect((await survivor.spend(key)).total).toBe(30);

    const report = (
      await survivor.inject({
        method: 'GET',
        url: '/admin/usage/reconciliation',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      })
    ).json();
    expect(report.summary).toMatchObject({
      differences: 0,
      unsettled: 0,
      unknownToGateway: 30,
      unknownToGatewayCredits: 90,
    });
    console.log(
      `gateway crash: 10 recorded jobs settled by another instance, 30 open reservations released after their ${LEASE_MS} ms lease; ` +
        `reconciliation lists the 30 jobs Apiframe ran for the dead requests (90 credits)`,
    );
  }, 30_000);
});
