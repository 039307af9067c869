// Models and modalities the operator has not enabled (ENABLED_MODELS, PRICING_FILE) are answered
// as unknown ones, nothing charged or sent, and a key's allowedModels may not name them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, SEED_BODY, startGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway({ env: { ENABLED_MODELS: 'image', PRICING: '{"seedream-4":3,"suno":6}' } });
});
afterAll(() => gw.close());

describe('a model the gateway does not offer', () => {
  it('is refused with 400 naming it, even priced, and nothing is sent or charged', async () => {
    const key = await gw.createKey();
    const before = gw.sim.requests.length;
    const response = await gw.inject({
      method: 'POST',
      url: '/v2/music/generate',
      headers: { 'x-api-key': key.key },
      payload: { prompt: 'a song', model: 'suno' },
    });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json()).toMatchObject({
      code: 'GW_VALIDATION_FAILED',
      details: { model: ['suno is not offered by this gateway'] },
    });
    expect(gw.sim.requests.length).toBe(before);
    expect((await gw.spend(key)).day).toBe(0);
    expect((await gw.generate(key.key, SEED_BODY)).statusCode).toBe(202);
  });

  it('is not listed by GET /v2/models', async () => {
    const listing = await gw.inject({ method: 'GET', url: '/v2/models' });
    expect(listing.json().models.map((model: { id: string }) => model.id)).toEqual(['seedream-4']);
  });

  it('cannot be named in a key’s allowedModels, while any offered model of the spec can', async () => {
    const create = (allowedModels: string[]) =>
      gw.inject({
        method: 'POST',
        url: '/admin/keys',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { name: 'k', team: 'team-enabled', allowedModels },
      });
    const refused = await create(['suno']);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().details.allowedModels[0]).toContain('unknown model suno');
    expect((await create(['flux-2-pro', 'midjourney:upsample'])).statusCode).toBe(201);
  });
});
