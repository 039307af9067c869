// Jobs priced by Apiframe's catalogue through the gateway and the simulator: the reservation is
// the upper bound of the request (a per-second model by the duration asked for, its longest when
// none is), settlement charges what Apiframe charged and releases the rest; an instance that
// restarts while Apiframe is unreachable prices by the copy kept on Redis, and with no copy a
// model the operator did not price is 503 pricing unavailable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { startGateway, UPSTREAM_KEY, type TestGateway } from '../helpers/gateway.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server.js';

const CATALOGUE_PRICES = { CATALOGUE_REFRESH_MS: '3600000' };
const video = (prompt: string, klingParams?: object) => ({
  prompt,
  model: 'kling-2.6',
  ...(klingParams && { klingParams }),
});

let redis: RedisServer;
let sim: Simulator;
let gw: TestGateway;

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0 });
  gw = await startGateway({ sim, redisUrl: redis.url, env: CATALOGUE_PRICES });
});
afterAll(async () => {
  await gw.close();
  await sim.close();
  await redis.destroy();
});

const submit = (key: string, body: object) =>
  gw.inject({ method: 'POST', url: '/v2/videos/generate', headers: { 'x-api-key': key }, payload: body });

describe('catalogue prices', () => {
  it('reserves costMax times the seconds asked for, or the longest allowed, and charges what Apiframe did', async () => {
    const key = await gw.createKey();
    const short = await submit(key.key, video('a boat', { duration: 5 }));
    expect(short.statusCode, short.body).toBe(202);
    expect((await gw.spend(key)).day).toBe(35);
    const long = await submit(key.key, video('a boat [sim:cost=40]'));
    expect(long.statusCode, long.body).toBe(202);
    expect((await gw.spend(key)).day).toBe(35 + 70);
    await gw.poll(key.key, short.json().jobId);
    await gw.poll(key.key, long.json().jobId);
    expect((await gw.spend(key)).day).toBe(35 + 40);
  });

  it('shows in GET /v2/me the credits left after the reservation, and after the release of the difference', async () => {
    const key = await gw.createKey({ budget: { credits: 100, period: 'day' } });
    const credits = async () =>
      (await gw.inject({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': key.key } })).json().team.credits;
    const job = await submit(key.key, video('a boat [sim:cost=50]'));
    expect(await credits()).toBe(30);
    await gw.poll(key.key, job.json().jobId);
    expect(await credits()).toBe(50);
  });

  it("reports the catalogue's age and its entries not understood in the metrics", async () => {
    const key = await gw.createKey();
    expect((await submit(key.key, video('a boat', { duration: 5 }))).statusCode).toBe(202);
    const text = await gw.app.services.metrics.registry.metrics();
    const age = Number(/^apiframe_gateway_price_catalogue_age_seconds (\S+)$/m.exec(text)?.[1]);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(3_600);
    expect(text).toMatch(/^apiframe_gateway_price_catalogue_skipped_entries 0$/m);
  });

  it('refuses with 402 naming the bound a request needs when the budget cannot cover it', async () => {
    const key = await gw.createKey({ budget: { credits: 50, period: 'day' } });
    const refused = await submit(key.key, video('a boat'));
    expect(refused.statusCode, refused.body).toBe(402);
    expect(refused.json()).toMatchObject({ creditsRequired: 70, creditsAvailable: 50 });
  });

  it('lists the catalogue’s priced models with their rule, and the operator’s ceilings', async () => {
    const listing = await gw.inject({ method: 'GET', url: '/v2/models?modality=video' });
    expect(listing.statusCode, listing.body).toBe(200);
    const models = listing.json<{ models: { id: string; gatewayPrice: object }[] }>().models;
    expect(models.find((model) => model.id === 'kling-2.6')!.gatewayPrice).toEqual({
      credits: 7,
      rule: 'per-second',
      source: 'catalogue',
    });
  });

  it('prices by the copy kept on Redis when an instance restarts while Apiframe is unreachable', async () => {
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    const restarted = await startGateway({
      sim,
      redisUrl: redis.url,
      env: { ...CATALOGUE_PRICES, APIFRAME_BASE_URL: unreachable, UPSTREAM_TIMEOUT_MS: '500' },
    });
    try {
      const key = await restarted.createKey();
      const response = await restarted.inject({
        method: 'POST',
        url: '/v2/videos/generate',
        headers: { 'x-api-key': key.key },
        payload: video('a boat', { duration: 5 }),
      });
      expect(response.json().code).toBe('GW_UPSTREAM_UNAVAILABLE');
      expect(restarted.logs.join('\n')).toContain("Apiframe's model catalogue could not be read");
    } finally {
      await restarted.close();
    }
  });

  it('is 503 pricing unavailable for a model the operator did not price when no catalogue is known', async () => {
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    const alone = await startGateway({
      sim,
      env: { ...CATALOGUE_PRICES, APIFRAME_BASE_URL: unreachable, UPSTREAM_TIMEOUT_MS: '500' },
    });
    try {
      const key = await alone.createKey();
      const response = await alone.inject({
        method: 'POST',
        url: '/v2/videos/generate',
        headers: { 'x-api-key': key.key },
        payload: video('a boat'),
      });
      expect(response.statusCode, response.body).toBe(503);
      expect(response.json()).toMatchObject({
        code: 'GW_PRICING_UNAVAILABLE',
        error: expect.stringContaining('pricing unavailable'),
      });
      expect((await alone.spend(key)).day).toBe(0);
    } finally {
      await alone.close();
    }
  });
});
