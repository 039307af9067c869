import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { SEED_BODY, startGateway, UPSTREAM_KEY, type TestGateway } from '../helpers/gateway.js';

let redis: RedisServer;
let sim: Simulator;
let admin: TestGateway;

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0, prices: { 'seedream-4': 3 } });
  admin = await startGateway({ sim, redisUrl: redis.url });
});
afterAll(async () => {
  await admin.close();
  await sim.close();
  await redis.destroy();
});

describe('graceful shutdown', () => {
  it('answers all 100 in-flight requests on SIGTERM, exits 0, and leaves no reservation unaccounted', async () => {
    const gateway = await startGatewayProcess({
      REDIS_URL: redis.url,
      APIFRAME_API_KEY: UPSTREAM_KEY,
      APIFRAME_BASE_URL: sim.url,
    });
    const key = await admin.createKey();
    const requests = Array.from({ length: 100 }, () =>
      fetch(`${gateway.url}/v2/images/generate`, {
        method: 'POST',
        headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
        body: JSON.stringify({ ...SEED_BODY, prompt: 'slow [sim:latency=1000]' }),
      }).then((response) => response.status),
    );
    // SIGTERM once all 100 are in the gateway's hands: each has reached Apiframe (slowly).
    const forwardedBefore = sim.requests.length;
    while (sim.requests.length - forwardedBefore < 100) await new Promise((resolve) => setTimeout(resolve, 10));
    const exited = gateway.stop('SIGTERM');
    const statuses = await Promise.all(requests);
    const code = await exited;

    expect(statuses.filter((status) => status === 202)).toHaveLength(100);
    expect(code).toBe(0);
    const store = admin.app.services.store;
    expect((await admin.spend(key)).total).toBe(300);
    expect(await store.expiredReservations(key.team, Number.MAX_SAFE_INTEGER, 1_000)).toEqual([]);
    const ledger = await store.readLedger(key.team, null, 1_000);
    expect(ledger.filter((entry) => entry.kind === 'reserve')).toHaveLength(100);
    expect(await store.pendingJobs(key.team, Number.MAX_SAFE_INTEGER, 1_000)).toHaveLength(100);
    console.log(
      `SIGTERM with 100 requests in flight: ${statuses.length} answered 202, exit code ${code}, 100 jobs recorded, 0 reservations open`,
    );
  }, 30_000);
});
