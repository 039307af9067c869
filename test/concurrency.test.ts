import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/simulator/simulator.js';
import { startGatewayProcess, type GatewayProcess } from './helpers/gateway-process.js';
import { startRedis, type RedisServer } from './helpers/redis-server.js';
import { SEED_BODY, startGateway, UPSTREAM_KEY, uniqueTeam, type TestGateway } from './helpers/gateway.js';

let redis: RedisServer;
let sim: Simulator;

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0, prices: { 'seedream-4': 3 } });
});
afterAll(async () => {
  await sim.close();
  await redis.destroy();
});

const submissionsFor = (from: number) => sim.requests.slice(from).filter((r) => r.method === 'POST').length;

function countStatuses(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe.each(['redis', 'memory'] as const)('50 concurrent generations on a 30-credit key (%s store)', (storeKind) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ sim, ...(storeKind === 'redis' && { redisUrl: redis.url }) });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('forwards exactly 10, refuses 40 with 402 and spends exactly 30', async () => {
    const key = await gw.createKey({ budget: { credits: 30, period: 'day' } });
    const before = sim.requests.length;
    const responses = await Promise.all(Array.from({ length: 50 }, () => gw.generate(key.key)));
    expect(countStatuses(responses.map((r) => r.statusCode))).toEqual({ 202: 10, 402: 40 });
    expect(submissionsFor(before)).toBe(10);
    expect((await gw.spend(key)).day).toBe(30);
    console.log(`[${storeKind}] 50 concurrent requests: 10 forwarded, 40 refused with 402, spend 30 of 30`);
  });
});

describe('two gateway processes on one Redis', () => {
  let gateways: GatewayProcess[];
  let admin: TestGateway;

  beforeAll(async () => {
    const env = { REDIS_URL: redis.url, APIFRAME_API_KEY: UPSTREAM_KEY, APIFRAME_BASE_URL: sim.url };
    gateways = await Promise.all([startGatewayProcess(env), startGatewayProcess(env)]);
    admin = await startGateway({ sim, redisUrl: redis.url });
  }, 60_000);
  afterAll(async () => {
    await admin.close();
    const codes = await Promise.all(gateways.map((g) => g.stop()));
    expect(codes).toEqual([0, 0]);
  });

  it('share one budget: exactly 10 of 50 concurrent calls go through, spend 30', async () => {
    const key = await admin.createKey({ team: uniqueTeam(), budget: { credits: 30, period: 'day' } });
    const before = sim.requests.length;
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch(`${gateways[i % 2]!.url}/v2/images/generate`, {
          method: 'POST',
          headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
          body: JSON.stringify(SEED_BODY),
        }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(countStatuses(statuses)).toEqual({ 202: 10, 402: 40 });
    expect(submissionsFor(before)).toBe(10);
    expect((await admin.spend(key)).day).toBe(30);
    for (const gateway of gateways) expect(gateway.output()).not.toContain(UPSTREAM_KEY);
    console.log('[2 processes] 50 concurrent requests: 10 forwarded, 40 refused with 402, spend 30 of 30');
  });
});
