// The operations served from Apiframe's spec, through the gateway: any priced image model runs
// and settles like seedream-4; each model's parameters are checked against its own branch of the
// spec, with Apiframe-shaped details; a model without a price, a model the key may not use and
// an action on a job that is not the team's are refused before anything is sent or charged.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayOnRedis, type CreatedKey } from '../helpers/gateway.js';

const ctx = gatewayOnRedis({
  env: {
    PRICING:
      '{"seedream-4":3,"gpt-image-1.5":12,"kling-2.1":70,"midjourney":5,"midjourney:upsample":2,"midjourney:pan":5}',
  },
});
let key: CreatedKey;

beforeAll(async () => {
  key = await ctx.gw.createKey({ budget: { credits: 500, period: 'day' } });
});

const post = (path: string, body: unknown, apiKey = key.key) =>
  ctx.gw.inject({ method: 'POST', url: path, headers: { 'x-api-key': apiKey }, payload: body as object });

describe('an image model of the spec other than seedream-4', () => {
  it('is reserved at its price, forwarded as given, and settled at what Apiframe charged', async () => {
    const own = await ctx.gw.createKey();
    const body = { prompt: 'a glass house', model: 'gpt-image-1.5', gptImageParams: { number_of_images: 2 } };
    const response = await post('/v2/images/generate', body, own.key);
    expect(response.statusCode, response.body).toBe(202);
    expect(JSON.parse(ctx.gw.sim.requests.at(-1)!.body)).toEqual(body);
    expect((await ctx.gw.spend(own)).day).toBe(12);
    const { jobId } = response.json();
    expect((await ctx.gw.poll(own.key, jobId)).json()).toMatchObject({ status: 'COMPLETED', creditCost: 10 });
    expect((await ctx.gw.spend(own)).day).toBe(10);
  });
});

describe('validation from the spec', () => {
  it.each([
    [
      "a value outside a model's choices",
      { prompt: 'x', model: 'kling-2.1', klingParams: { duration: 7 } },
      { 'klingParams.duration': ['must be one of: 5, 10'] },
    ],
    [
      "a field of another model's parameters",
      { prompt: 'x', model: 'kling-2.1', soraParams: {} },
      { soraParams: ['is not a recognised field'] },
    ],
    [
      'a prompt over the model’s limit',
      { prompt: 'x'.repeat(4001), model: 'kling-2.1' },
      { prompt: ['must NOT have more than 4000 characters'] },
    ],
    ['a model that is not a string', { prompt: 'x', model: 7 }, { model: ['must be string'] }],
    ['no model', { prompt: 'x' }, { model: ['is required'] }],
  ])('refuses %s with 400 and details, sending nothing', async (_name, body, details) => {
    const before = ctx.gw.sim.requests.length;
    const response = await post('/v2/videos/generate', body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'Validation failed', code: 'GW_VALIDATION_FAILED', details });
    expect(ctx.gw.sim.requests.length).toBe(before);
  });

  it('names the models of the operation for a model it does not have, and checks the other fields', async () => {
    const response = await post('/v2/videos/generate', { prompt: '', model: 'gpt-image-1.5', extra: 1 });
    const { details } = response.json();
    expect(Object.keys(details).sort()).toEqual(['extra', 'model', 'prompt']);
    expect(details.model[0]).toMatch(/^must be one of: kling-2\.1, kling-2\.1-master, .*, runway-gen4\.5$/);
  });
});

describe('a model without a price', () => {
  it('is refused with 400, the priced models and the missing price named, charging nothing', async () => {
    const before = ctx.gw.sim.requests.length;
    const response = await post('/v2/videos/generate', { prompt: 'a paper boat', model: 'sora-2' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: 'Validation failed',
      code: 'GW_PRICE_MISSING',
      details: {
        model: ['must be one of: kling-2.1'],
        $: [
          'sora-2 has no price on this gateway: the gateway operator must set one (PRICING_FILE, or PRICING for a flat price) before it can run',
        ],
      },
    });
    expect(ctx.gw.sim.requests.length).toBe(before);
  });
});

describe('keys and actions', () => {
  it('hold a key to its allowed models on every operation', async () => {
    const imagesOnly = await ctx.gw.createKey({ allowedModels: ['seedream-4'] });
    const response = await post('/v2/videos/generate', { prompt: 'x', model: 'kling-2.1' }, imagesOnly.key);
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({
      code: 'GW_MODEL_NOT_ALLOWED',
      error: 'Model kling-2.1 is not allowed for this key',
    });
  });

  it('let a key be limited to an action by its name', async () => {
    const created = await ctx.gw.createKey({ allowedModels: ['midjourney:upsample'] });
    const response = await post(
      '/v2/images/midjourney/action',
      { action: 'variation', index: 1, parentJobId: randomUUID() },
      created.key,
    );
    expect(response.json()).toMatchObject({
      code: 'GW_MODEL_NOT_ALLOWED',
      error: 'Model midjourney:variation is not allowed for this key',
    });
  });

  it('answer 404 for an action on an unknown job or another team’s, sending nothing', async () => {
    const other = await ctx.gw.createKey();
    const { jobId } = (await ctx.gw.generate(other.key)).json();
    const before = ctx.gw.sim.requests.length;
    for (const parentJobId of [jobId, randomUUID()]) {
      const response = await post('/v2/images/midjourney/action', { action: 'upsample', index: 1, parentJobId });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ error: 'Job not found', code: 'GW_JOB_NOT_FOUND' });
    }
    expect(ctx.gw.sim.requests.length).toBe(before);
  });

  it('pass on that an action is not available for its parent as 409, charging nothing', async () => {
    const own = await ctx.gw.createKey();
    const { jobId } = (
      await post('/v2/images/generate', { prompt: 'a lighthouse', model: 'midjourney' }, own.key)
    ).json();
    expect((await ctx.gw.poll(own.key, jobId)).json()).toMatchObject({ status: 'COMPLETED', creditCost: 5 });
    const pan = { action: 'pan', direction: 'up', parentJobId: jobId };
    const response = await post('/v2/images/midjourney/action', pan, own.key);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'GW_ACTION_NOT_AVAILABLE' });
    expect((await ctx.gw.spend(own)).day).toBe(5);
  });

  it('draw every operation from the one generate rate limit', async () => {
    const limited = await ctx.gw.createKey({ rateLimit: { generatePerMinute: 1, readsPerMinute: 10 } });
    expect((await ctx.gw.generate(limited.key)).statusCode).toBe(202);
    const response = await post('/v2/videos/generate', { prompt: 'x', model: 'kling-2.1' }, limited.key);
    expect(response.statusCode).toBe(429);
  });
});
