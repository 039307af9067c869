// The simulator's GET /v2/models: the catalogue in the spec's shape, public, with prices in all
// three modes, a model for every operation that takes one, filtered by modality.
import { describe, expect, it } from 'vitest';
import { useSimulator } from '../helpers/simulator-calls.js';

const simulator = useSimulator();
const { call } = simulator;

describe('GET /v2/models', () => {
  it('answers the catalogue in the spec’s shape, without a key', async () => {
    const response = await fetch(`${simulator.sim().url}/v2/models`);
    expect(response.status).toBe(200);
    const { models } = (await response.json()) as { models: Record<string, unknown>[] };
    for (const model of models) {
      expect(model).toMatchObject({
        id: expect.any(String),
        label: expect.any(String),
        description: expect.any(String),
        modality: expect.toBeOneOf(['image', 'video', 'music']),
        pricingMode: expect.toBeOneOf(['flat', 'per-second', 'per-output']),
        costMin: expect.any(Number),
        costMax: expect.any(Number),
      });
      expect(model.costMin as number).toBeLessThanOrEqual(model.costMax as number);
    }
    expect(new Set(models.map((model) => model.pricingMode))).toEqual(new Set(['flat', 'per-second', 'per-output']));
    expect(models.find((model) => model.id === 'seedream-4')).toMatchObject({
      pricingMode: 'flat',
      costMin: 3,
      costMax: 3,
    });
    expect(models.find((model) => model.id === 'kling-2.6')).toMatchObject({ pricingMode: 'per-second', costMax: 7 });
    expect(models.find((model) => model.id === 'gpt-image-1.5')).toMatchObject({
      pricingMode: 'per-output',
      costMax: 5,
    });
    expect(models.some((model) => /midjourney:|suno:|action/.test(String(model.id)))).toBe(false);
  });

  it('has a model for every operation that takes one', async () => {
    const { body } = await call('GET', '/v2/models');
    expect(new Set(body.models.map((model: { operation: string }) => model.operation))).toEqual(
      new Set([
        'images/generate',
        'images/upscale',
        'images/edit',
        'images/background-remove',
        'videos/generate',
        'videos/upscale',
        'videos/edit',
        'music/generate',
      ]),
    );
  });

  it('filters by modality and refuses an unknown one with 400', async () => {
    const videos = await call('GET', '/v2/models?modality=video');
    expect(videos.body.models.length).toBeGreaterThan(0);
    expect(videos.body.models.every((model: { modality: string }) => model.modality === 'video')).toBe(true);
    const refused = await call('GET', '/v2/models?modality=sound');
    expect(refused).toMatchObject({
      status: 400,
      body: { error: 'Validation failed', details: { modality: [expect.any(String)] } },
    });
  });
});
