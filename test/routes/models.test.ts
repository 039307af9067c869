// GET /v2/models through the gateway, on Redis and the simulator: public like Apiframe's, only the
// models the gateway prices (each with its price), narrowed by a key's allowedModels, filtered by
// modality, read from Apiframe once a minute, and held back by Apiframe's 429 pause.
import { describe, expect, it } from 'vitest';
import { MODEL_CATALOGUE_CACHE_MS } from '../../src/services/model-catalogue.js';
import { gatewayOnRedis, SEED_BODY, startGateway, testClock } from '../helpers/gateway.js';

const PRICING = { 'seedream-4': 3, 'kling-2.6': 70, suno: 6, 'midjourney:upsample': 2 };
const clock = testClock();
const context = gatewayOnRedis({ clock, env: { PRICING: JSON.stringify(PRICING) } });

interface Entry {
  id: string;
  label: string;
  modality: string;
  costMin?: number;
  costMax?: number;
  pricingMode?: string;
  gatewayPrice: { credits: number; rule: string };
}

const models = (query = '', headers: Record<string, string> = {}) =>
  context.gw.inject({ method: 'GET', url: `/v2/models${query}`, headers });
const ids = (body: string) => (JSON.parse(body) as { models: Entry[] }).models.map((model) => model.id).sort();
const catalogueReads = () => context.gw.sim.requests.filter((request) => request.url.startsWith('/v2/models')).length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('GET /v2/models', () => {
  it('answers without a key, listing only the priced models with the gateway price beside Apiframe fields', async () => {
    const response = await models();
    expect(response.statusCode, response.body).toBe(200);
    const listed = response.json<{ models: Entry[] }>().models;
    expect(listed.map((model) => model.id).sort()).toEqual(['kling-2.6', 'seedream-4', 'suno']);
    const kling = listed.find((model) => model.id === 'kling-2.6')!;
    expect(kling).toMatchObject({
      label: 'Kling 2.6',
      modality: 'video',
      pricingMode: 'per-second',
      costMin: 7,
      costMax: 7,
      operation: 'videos/generate',
      gatewayPrice: { credits: 70, rule: 'flat' },
    });
    const request = context.gw.sim.requests.findLast((sent) => sent.url.startsWith('/v2/models'))!;
    expect(request.headers['x-api-key']).toBeDefined();
  });

  it("narrows the list to a presented key's allowedModels, and refuses an invalid key", async () => {
    const key = await context.gw.createKey({ allowedModels: ['kling-2.6', 'suno'] });
    expect(ids((await models('', { 'x-api-key': key.key })).body)).toEqual(['kling-2.6', 'suno']);
    expect(ids((await models('', { authorization: `Bearer ${key.key}` })).body)).toEqual(['kling-2.6', 'suno']);
    const unrestricted = await context.gw.createKey();
    expect(ids((await models('', { 'x-api-key': unrestricted.key })).body)).toEqual([
      'kling-2.6',
      'seedream-4',
      'suno',
    ]);

    const invalid = await models('', { 'x-api-key': 'gk_not_a_real_key_0000000000000000' });
    expect(invalid.statusCode).toBe(401);
    expect(invalid.json()).toHaveProperty('error');
  });

  it('filters by modality, and refuses another value with an Apiframe-shaped 400', async () => {
    expect(ids((await models('?modality=video')).body)).toEqual(['kling-2.6']);
    expect(ids((await models('?modality=music')).body)).toEqual(['suno']);
    const refused = await models('?modality=3d');
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ error: 'Validation failed', details: { modality: expect.any(Array) } });
  });

  it('reads the catalogue from Apiframe once a minute, however many callers ask', async () => {
    clock.advance(MODEL_CATALOGUE_CACHE_MS + 1);
    const before = catalogueReads();
    const answers = await Promise.all([models(), models('?modality=image'), models()]);
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200]);
    expect(await models('?modality=music')).toHaveProperty('statusCode', 200);
    expect(catalogueReads()).toBe(before + 1);
    clock.advance(MODEL_CATALOGUE_CACHE_MS + 1);
    await models();
    expect(catalogueReads()).toBe(before + 2);
  });

  it('answers 502 while Apiframe fails, never 500', async () => {
    clock.advance(MODEL_CATALOGUE_CACHE_MS + 1);
    context.gw.sim.failAll(500);
    try {
      const failed = await models();
      expect(failed.statusCode).toBe(502);
      expect(failed.json()).toHaveProperty('error');
    } finally {
      context.gw.sim.failAll(null);
    }
  });

  it("respects Apiframe's 429 pause: refused without asking while it lasts, and a 429 it hears starts one", async () => {
    const key = await context.gw.createKey();
    clock.advance(MODEL_CATALOGUE_CACHE_MS + 1);
    const held = await context.gw.generate(key.key, { ...SEED_BODY, prompt: 'held back [sim:status=429]' });
    expect(held.statusCode).toBe(429);
    const before = catalogueReads();
    const refused = await models();
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(catalogueReads()).toBe(before);

    await sleep(2_100);
    context.gw.sim.failAll(429);
    try {
      expect((await models()).statusCode).toBe(429);
    } finally {
      context.gw.sim.failAll(null);
    }
    const posts = () => context.gw.sim.requests.filter((request) => request.method === 'POST').length;
    const postsBefore = posts();
    expect((await context.gw.generate(key.key)).statusCode).toBe(429);
    expect(posts()).toBe(postsBefore);
  });
});

describe('GET /v2/models rate limit', () => {
  it('draws on a per-address budget of RATE_LIMIT_READS_PER_MINUTE, with or without a key', async () => {
    const gw = await startGateway({ redisUrl: context.redis.url, env: { RATE_LIMIT_READS_PER_MINUTE: '2' } });
    try {
      const key = await gw.createKey();
      const call = (headers: Record<string, string> = {}) => gw.inject({ method: 'GET', url: '/v2/models', headers });
      expect((await call()).statusCode).toBe(200);
      expect((await call({ 'x-api-key': key.key })).statusCode).toBe(200);
      const limited = await call();
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } finally {
      await gw.close();
    }
  });
});
