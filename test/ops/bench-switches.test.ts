// BENCH_WITHOUT, the switches `npm run bench` turns off one at a time for its cost table: each
// takes out what it names and nothing else, and none is accepted in production.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { windowOf } from '../../src/domain/budgets.js';
import { SEED_BODY, startGateway, type TestGateway } from '../helpers/gateway.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

const METRICS_TOKEN = 'metrics-token-for-the-bench-switches';
const APP = 'https://app.example.com';
let redis: RedisServer;
let without: TestGateway;
let withAll: TestGateway;

beforeAll(async () => {
  redis = await startRedis();
  const env = { METRICS_TOKEN };
  withAll = await startGateway({ redisUrl: redis.url, env });
  without = await startGateway({
    redisUrl: redis.url,
    sim: withAll.sim,
    env: { ...env, BENCH_WITHOUT: 'validation,metrics,cors,ledger' },
  });
});

afterAll(async () => {
  await without.close();
  await withAll.close();
  await redis.destroy();
});

const preflight = (gw: TestGateway) =>
  gw.inject({
    method: 'OPTIONS',
    url: '/v2/images/generate',
    headers: { origin: APP, 'access-control-request-method': 'POST' },
  });

async function requestsCounted(gw: TestGateway): Promise<boolean> {
  const response = await gw.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  expect(response.statusCode).toBe(200);
  return response.body.includes('apiframe_gateway_http_requests_total{');
}

describe('BENCH_WITHOUT', () => {
  it('is refused in production, and `ledger` without Redis', () => {
    const base = { APIFRAME_API_KEY: 'afk_config_test_key', BENCH_WITHOUT: 'cors' };
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', REDIS_URL: 'redis://127.0.0.1:1' })).toThrow(
      /BENCH_WITHOUT is invalid \(a benchmarking switch/,
    );
    expect(() => loadConfig({ ...base, BENCH_WITHOUT: 'ledger' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, BENCH_WITHOUT: 'cors,rate-limits' })).toThrow(/BENCH_WITHOUT is invalid/);
    expect(loadConfig(base).BENCH_WITHOUT).toBe('cors');
  });

  it('says so in the log at start, so that a deployment that set it by mistake shows it', () => {
    const warning = without.logs.map((line) => JSON.parse(line)).find((entry) => entry.benchWithout);
    expect(warning).toMatchObject({ level: 40, benchWithout: 'validation,metrics,cors,ledger' });
    expect(withAll.logs.some((line) => line.includes('BENCH_WITHOUT'))).toBe(false);
  });

  it('validation: a body with an unknown field is passed on instead of refused', async () => {
    const body = { ...SEED_BODY, notAField: 1 };
    expect((await withAll.generate((await withAll.createKey()).key, body)).statusCode).toBe(400);
    const passed = await without.generate((await without.createKey()).key, body);
    expect(passed.json()).not.toMatchObject({ details: { notAField: expect.anything() } });
    expect(passed.statusCode, passed.body).toBe(202);
  });

  it('metrics: requests are answered but not counted', async () => {
    await withAll.inject({ method: 'GET', url: '/healthz' });
    await without.inject({ method: 'GET', url: '/healthz' });
    expect(await requestsCounted(withAll)).toBe(true);
    expect(await requestsCounted(without)).toBe(false);
  });

  it('cors: preflights get no CORS answer', async () => {
    await withAll.createKey({ allowedOrigins: [APP] });
    expect((await preflight(withAll)).headers['access-control-allow-origin']).toBe(APP);
    expect((await preflight(without)).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('ledger: spend still moves and budgets still hold, but no ledger entry or aggregate is written', async () => {
    const key = await without.createKey({ budget: { credits: 3, period: 'day' } });
    expect((await without.generate(key.key)).statusCode).toBe(202);
    expect((await without.spend(key)).day).toBe(3);
    expect((await without.generate(key.key)).statusCode).toBe(402);
    const { store } = without.app.services;
    expect(await store.readLedger(key.team, null, 100)).toEqual([]);
    const day = windowOf('day', Date.now());
    expect(await store.aggregates(key.team, [day])).toEqual([]);

    const counted = await withAll.createKey();
    expect((await withAll.generate(counted.key)).statusCode).toBe(202);
    expect(await withAll.app.services.store.readLedger(counted.team, null, 100)).not.toEqual([]);
    expect(await withAll.app.services.store.aggregates(counted.team, [day])).not.toEqual([]);
  });
});
