import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayOnRedis, SEED_BODY, type CreatedKey } from '../helpers/gateway.js';

const ctx = gatewayOnRedis();
let key: CreatedKey;

beforeAll(async () => {
  key = await ctx.gw.createKey({ budget: { credits: 100, period: 'day' } });
});

const withParams = (seedreamParams: Record<string, unknown>) => ({ ...SEED_BODY, seedreamParams });
const elevenImages = Array.from({ length: 11 }, (_, i) => `https://example.com/${i}.png`);

describe('request validation', () => {
  it.each([
    ['a missing prompt', { model: 'seedream-4' }, { prompt: ['is required'] }],
    ['an empty prompt', { ...SEED_BODY, prompt: '' }, { prompt: ['must NOT have fewer than 1 characters'] }],
    [
      'a prompt over 2000 characters',
      { ...SEED_BODY, prompt: 'x'.repeat(2001) },
      { prompt: ['must NOT have more than 2000 characters'] },
    ],
    ['a prompt of the wrong type', { ...SEED_BODY, prompt: 42 }, { prompt: ['must be string'] }],
    ['a model that is not enabled', { ...SEED_BODY, model: 'seedream-3' }, { model: ['must be one of: seedream-4'] }],
    ['an unknown top-level field', { ...SEED_BODY, temperature: 1 }, { temperature: ['is not a recognised field'] }],
    [
      'an unknown field named like an Object method',
      { ...SEED_BODY, toString: null },
      { toString: ['is not a recognised field'] },
    ],
    [
      'an unknown seedream field',
      withParams({ style: 'x' }),
      { 'seedreamParams.style': ['is not a recognised field'] },
    ],
    [
      '11 input images',
      withParams({ image_input: elevenImages }),
      { 'seedreamParams.image_input': ['must NOT have more than 10 items'] },
    ],
    [
      'an input image that is not http(s)',
      withParams({ image_input: ['ftp://example.com/a.png'] }),
      { 'seedreamParams.image_input.0': ['must be an http(s) URL'] },
    ],
    [
      'width without size custom',
      withParams({ size: '2K', width: 2048 }),
      { 'seedreamParams.width': ['is only allowed with size "custom"'] },
    ],
    [
      'size custom without height',
      withParams({ size: 'custom', width: 2048 }),
      { 'seedreamParams.height': ['is required with size "custom"'] },
    ],
    [
      'a width below 1024',
      withParams({ size: 'custom', width: 512, height: 2048 }),
      { 'seedreamParams.width': ['must be >= 1024'] },
    ],
    [
      'a height above 4096',
      withParams({ size: 'custom', width: 2048, height: 8192 }),
      { 'seedreamParams.height': ['must be <= 4096'] },
    ],
    [
      'a bad aspect ratio',
      withParams({ aspect_ratio: 'wide' }),
      { 'seedreamParams.aspect_ratio': ['must be "match_input_image" or "W:H" (e.g. "16:9")'] },
    ],
    ['an unknown size', withParams({ size: '8K' }), { 'seedreamParams.size': ['must be one of: 1K, 2K, 4K, custom'] }],
    [
      'enhance_prompt as a string',
      withParams({ enhance_prompt: 'yes' }),
      { 'seedreamParams.enhance_prompt': ['must be boolean'] },
    ],
    [
      'a webhookUrl that is not a URL',
      { ...SEED_BODY, webhookUrl: 'not a url' },
      { webhookUrl: ['must be an http(s) URL'] },
    ],
    [
      'an unknown webhook event',
      { ...SEED_BODY, webhookEvents: ['done'] },
      { 'webhookEvents.0': ['must be one of: progress, completed, failed'] },
    ],
    ['a JSON array body', [SEED_BODY], { $: ['must be object'] }],
  ])('rejects %s with 400 and details, charging nothing', async (_name, body, details) => {
    const before = ctx.gw.sim.requests.length;
    const response = await ctx.gw.generate(key.key, body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'Validation failed', details });
    expect(ctx.gw.sim.requests.length).toBe(before);
    expect((await ctx.gw.spend(key)).total).toBe(0);
  });

  it('reports every problem of a body at once', async () => {
    const response = await ctx.gw.generate(key.key, { prompt: '', model: 'nope', extra: true });
    expect(Object.keys(response.json().details).sort()).toEqual(['extra', 'model', 'prompt']);
  });

  it('accepts every documented field of a valid custom-size edit', async () => {
    const response = await ctx.gw.generate(
      key.key,
      withParams({
        size: 'custom',
        width: 1024,
        height: 4096,
        aspect_ratio: 'match_input_image',
        image_input: ['https://example.com/photo-with-dog.jpg'],
        enhance_prompt: false,
        guidance_scale: 2.5,
        seed: 7,
        output_format: 'png',
      }),
    );
    expect(response.statusCode).toBe(202);
  });

  it('rejects a body that is not JSON with 400', async () => {
    const before = ctx.gw.sim.requests.length;
    const response = await ctx.gw.inject({
      method: 'POST',
      url: '/v2/images/generate',
      headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
      payload: '{"prompt": "a cat", ',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'Request body is not valid JSON', code: 'GW_INVALID_JSON' });
    expect(ctx.gw.sim.requests.length).toBe(before);
  });

  it('rejects an empty body with 400', async () => {
    const response = await ctx.gw.inject({
      method: 'POST',
      url: '/v2/images/generate',
      headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(400);
  });

  it('rejects a body that is not JSON by content type with 415', async () => {
    const response = await ctx.gw.inject({
      method: 'POST',
      url: '/v2/images/generate',
      headers: { 'x-api-key': key.key, 'content-type': 'text/plain' },
      payload: 'prompt=a cat',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ code: 'GW_UNSUPPORTED_MEDIA_TYPE' });
  });

  it('rejects an oversize body with 413', async () => {
    const spentBefore = (await ctx.gw.spend(key)).total;
    const response = await ctx.gw.inject({
      method: 'POST',
      url: '/v2/images/generate',
      headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
      payload: JSON.stringify({ ...SEED_BODY, prompt: 'x'.repeat(70_000) }),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({ error: 'Request body is larger than 65536 bytes', code: 'GW_BODY_TOO_LARGE' });
    expect((await ctx.gw.spend(key)).total).toBe(spentBefore);
  });

  it('rejects a job id that is not a UUID with 400', async () => {
    const response = await ctx.gw.poll(key.key, 'not-a-uuid');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      error: 'Validation failed',
      details: { id: ['must match format "uuid"'] },
    });
  });

  it('answers unknown routes with an Apiframe-shaped 404', async () => {
    const response = await ctx.gw.inject({ method: 'GET', url: '/v2/nothing-here', headers: { 'x-api-key': key.key } });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'GW_ROUTE_NOT_FOUND' });
  });
});
