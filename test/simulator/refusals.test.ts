// The simulator refuses what Apiframe refuses: bad models, fields, durations, counts and parents
// with 400 naming the field and no job created, a missing parent with 404, an action its parent
// does not allow with 409, a bad key with 401.
import { describe, expect, it } from 'vitest';
import { useSimulator } from '../helpers/simulator-calls.js';

const IMAGE = 'https://example.com/cat.png';
const VIDEO = 'https://example.com/cat.mp4';

const simulator = useSimulator();
const { call, run } = simulator;

describe('refusals', () => {
  it.each([
    ['/v2/images/generate', { model: 'kling-2.6', prompt: 'a cat' }, 'model'],
    ['/v2/images/generate', { model: 'no-such-model', prompt: 'a cat' }, 'model'],
    ['/v2/videos/generate', { prompt: 'a cat' }, 'model'],
    ['/v2/music/generate', { model: 'seedream-4', prompt: 'a cat' }, 'model'],
    ['/v2/images/upscale', { model: 'seedream-4', prompt: 'a cat' }, 'model'],
    ['/v2/images/generate', { model: 'seedream-4' }, 'prompt'],
    ['/v2/images/generate', { model: 'seedream-4', prompt: 'x'.repeat(2001) }, 'prompt'],
    ['/v2/images/background-remove', { model: 'bria-bg-remove', briaBgRemoveParams: {} }, 'briaBgRemoveParams.image'],
    [
      '/v2/images/edit',
      { model: 'flux-fill-pro', fluxFillParams: { image: IMAGE, prompt: 'a' } },
      'fluxFillParams.mode',
    ],
    ['/v2/videos/generate', { model: 'kling-2.6', prompt: 'a', klingParams: { duration: 7 } }, 'klingParams.duration'],
    [
      '/v2/videos/upscale',
      { model: 'topaz-video-upscale', topazVideoParams: { video: VIDEO, target_resolution: '8k', target_fps: 30 } },
      'topazVideoParams.target_resolution',
    ],
    [
      '/v2/images/generate',
      { model: 'gpt-image-1.5', prompt: 'a', gptImageParams: { number_of_images: 11 } },
      'gptImageParams.number_of_images',
    ],
    ['/v2/music/generate', { model: 'mureka', prompt: 'a', murekaParams: { n: 0 } }, 'murekaParams.n'],
    ['/v2/images/midjourney/action', { action: 'zoom', parentJobId: crypto.randomUUID() }, 'action'],
    ['/v2/images/midjourney/action', { action: 'upsample', parentJobId: crypto.randomUUID() }, 'index'],
    ['/v2/music/suno/action', { action: 'add_vocals', parentJobId: crypto.randomUUID() }, 'prompt'],
    ['/v2/music/suno/action', { action: 'stems', parentJobId: 'not-a-uuid' }, 'parentJobId'],
  ])('POST %s %j answers 400 naming %s, and creates no job', async (path, body, field) => {
    const before = (await call('GET', '/v2/jobs?limit=100')).body.jobs.length;
    const refused = await call('POST', path, body);
    expect(refused).toMatchObject({ status: 400, body: { error: 'Validation failed' } });
    expect(Object.keys(refused.body.details)).toEqual([field]);
    expect((await call('GET', '/v2/jobs?limit=100')).body.jobs.length).toBe(before);
  });

  it('answers 400 to a body that is not a JSON object', async () => {
    for (const body of ['[1]', 'null', '{"model":']) {
      const response = await fetch(`${simulator.sim().url}/v2/videos/generate`, {
        method: 'POST',
        headers: { 'x-api-key': simulator.apiKey, 'content-type': 'application/json' },
        body,
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'Validation failed', details: { $: ['Invalid JSON'] } });
    }
  });

  it('answers 404 to an action on a job that does not exist', async () => {
    for (const [path, body] of [
      ['/v2/images/midjourney/action', { action: 'upsample', index: 1, parentJobId: crypto.randomUUID() }],
      ['/v2/music/suno/action', { action: 'extend', parentJobId: crypto.randomUUID() }],
    ] as const) {
      expect(await call('POST', path, body)).toEqual({ status: 404, body: { error: 'Parent job not found' } });
    }
  });

  it('answers 409 to an action its parent does not allow', async () => {
    const seedream = await run('/v2/images/generate', { model: 'seedream-4', prompt: 'a cat' });
    const grid = await run('/v2/images/generate', { model: 'midjourney', prompt: 'a cat' });
    const failed = await run('/v2/images/generate', { model: 'midjourney', prompt: 'a cat [sim:fail]' });
    for (const body of [
      { action: 'upsample', index: 1, parentJobId: seedream.id },
      { action: 'pan', direction: 'up', parentJobId: grid.id },
      { action: 'upsample', index: 1, parentJobId: failed.id },
    ]) {
      expect((await call('POST', '/v2/images/midjourney/action', body)).status).toBe(409);
    }
  });

  it('asks for the key on submissions', async () => {
    const response = await call(
      'POST',
      '/v2/images/generate',
      { model: 'seedream-4', prompt: 'a' },
      { 'x-api-key': 'x' },
    );
    expect(response).toEqual({ status: 401, body: { error: 'Invalid API key' } });
  });
});
