// The simulator over real HTTP: every job-submitting operation of Apiframe's spec answers 202 and
// its job completes with the creditCost the catalogue's rule makes of the request; bad models,
// fields, durations, counts and parents are refused like Apiframe refuses them; GET /v2/models
// answers the catalogue in the spec's shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { expectApiframeJob } from '../helpers/job-shape.js';

const API_KEY = 'afk_simulator_operations_test';
const IMAGE = 'https://example.com/cat.png';
const VIDEO = 'https://example.com/cat.mp4';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An answer's JSON, read as loosely as `app.inject(…).json()` reads it: the assertions check it. */
// biome-ignore lint/suspicious/noExplicitAny: as above
type Json = any;

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ apiKey: API_KEY, jobDurationMs: 0, prices: { 'suno:cover': 11 } });
});
afterAll(() => sim.close());

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: {
      'x-api-key': API_KEY,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

/** Submits, expects 202 `{ jobId, status: 'QUEUED' }`, and returns the job once it is terminal. */
async function run(path: string, body: Record<string, unknown>) {
  const accepted = await call('POST', path, body);
  expect(accepted, JSON.stringify(accepted.body)).toMatchObject({ status: 202, body: { status: 'QUEUED' } });
  expect(accepted.body.jobId).toMatch(UUID);
  const job = await call('GET', `/v2/jobs/${accepted.body.jobId}`);
  expect(job.status).toBe(200);
  expectApiframeJob(job.body);
  return job.body;
}

/** What the completed job's result lists: `count` images, videos or tracks. */
const images = (count: number) => ({ kind: 'images', count });
const tracks = (count: number) => ({ kind: 'tracks', count });
const video = { kind: 'videos', count: 1 };

describe('every job-submitting operation', () => {
  const runs: [string, Record<string, unknown>, number, { kind: string; count: number }][] = [
    ['/v2/images/generate', { model: 'seedream-4', prompt: 'a cat' }, 3, images(1)],
    ['/v2/images/generate', { model: 'midjourney', prompt: 'a cat' }, 5, images(4)],
    ['/v2/images/generate', { model: 'gpt-image-1.5', prompt: 'a cat' }, 5, images(1)],
    [
      '/v2/images/generate',
      { model: 'gpt-image-1.5', prompt: 'a cat', gptImageParams: { number_of_images: 4 } },
      20,
      images(4),
    ],
    [
      '/v2/images/generate',
      { model: 'flux-lora', prompt: 'a cat', fluxLoraParams: { loraId: '0b6f3c1e-5d2a-4f8e-9c47-2a1d3e4f5a6b' } },
      2,
      images(1),
    ],
    [
      '/v2/images/generate',
      {
        model: 'flux-lora',
        prompt: 'a cat',
        fluxLoraParams: { loraId: '0b6f3c1e-5d2a-4f8e-9c47-2a1d3e4f5a6b', num_outputs: 3 },
      },
      6,
      images(3),
    ],
    ['/v2/images/upscale', { model: 'clarity-upscale', clarityUpscaleParams: { image: IMAGE } }, 4, images(1)],
    [
      '/v2/images/edit',
      { model: 'flux-fill-pro', fluxFillParams: { image: IMAGE, prompt: 'a hat', mode: 'inpaint' } },
      5,
      images(1),
    ],
    ['/v2/images/background-remove', { model: 'bria-bg-remove', briaBgRemoveParams: { image: IMAGE } }, 1, images(1)],
    ['/v2/videos/generate', { model: 'kling-2.6', prompt: 'a cat', klingParams: { duration: 10 } }, 70, video],
    ['/v2/videos/generate', { model: 'kling-2.6', prompt: 'a cat' }, 35, video],
    [
      '/v2/videos/upscale',
      {
        model: 'topaz-video-upscale',
        topazVideoParams: { video: VIDEO, target_resolution: '1080p', target_fps: 30 },
      },
      40,
      video,
    ],
    [
      '/v2/videos/edit',
      { model: 'wan-2.7-videoedit', prompt: 'in snow', wan27VideoeditParams: { video: VIDEO, duration: 4 } },
      24,
      video,
    ],
    [
      '/v2/videos/edit',
      { model: 'wan-2.7-videoedit', prompt: 'in snow', wan27VideoeditParams: { video: VIDEO } },
      60,
      video,
    ],
    ['/v2/music/generate', { model: 'suno', prompt: 'a song' }, 6, tracks(2)],
    ['/v2/music/generate', { model: 'mureka', prompt: 'a song' }, 6, tracks(2)],
    ['/v2/music/generate', { model: 'mureka', prompt: 'a song', murekaParams: { n: 3 } }, 9, tracks(3)],
  ];

  it.each(runs)('POST %s %j completes with creditCost %i', async (path, body, cost, result) => {
    const job = await run(path, body);
    expect(job).toMatchObject({ status: 'COMPLETED', model: body.model, creditCost: cost, input: body });
    expect(job.result[result.kind]).toHaveLength(result.count);
  });

  it('runs every model of the catalogue', async () => {
    const { body } = await call('GET', '/v2/models');
    const run = new Set(runs.map(([, request]) => request.model));
    expect(body.models.map((model: { id: string }) => model.id).filter((id: string) => !run.has(id))).toEqual([]);
  });

  it('runs Midjourney actions on a grid and on an upsample, priced per action', async () => {
    const grid = await run('/v2/images/generate', { model: 'midjourney', prompt: 'a cat' });
    const upsample = await run('/v2/images/midjourney/action', { action: 'upsample', index: 2, parentJobId: grid.id });
    expect(upsample).toMatchObject({ status: 'COMPLETED', model: 'midjourney', creditCost: 2 });
    expect(upsample.result.images).toHaveLength(1);
    const pan = await run('/v2/images/midjourney/action', {
      action: 'pan',
      direction: 'left',
      parentJobId: upsample.id,
    });
    expect(pan).toMatchObject({ status: 'COMPLETED', creditCost: 5 });
    expect(pan.result.images).toHaveLength(4);
    const variation = await run('/v2/images/midjourney/action', {
      action: 'variation',
      index: 1,
      parentJobId: grid.id,
    });
    expect(variation.creditCost).toBe(5);
  });

  it('runs Suno actions on a song, with `prices` overriding an action by family:action', async () => {
    const song = await run('/v2/music/generate', { model: 'suno', prompt: 'a song' });
    const trackId = song.result.tracks[1].id;
    const extend = await run('/v2/music/suno/action', { action: 'extend', trackId, parentJobId: song.id });
    expect(extend).toMatchObject({ status: 'COMPLETED', model: 'suno', creditCost: 6 });
    expect(extend.result.tracks).toHaveLength(2);
    const cover = await run('/v2/music/suno/action', { action: 'cover', index: 1, parentJobId: song.id });
    expect(cover.creditCost).toBe(11);
    const stems = await run('/v2/music/suno/action', { action: 'stems', index: 1, parentJobId: extend.id });
    expect(stems).toMatchObject({ creditCost: 3, result: { stems: { vocals: expect.any(String) } } });
    const again = await call('POST', '/v2/music/suno/action', { action: 'extend', parentJobId: stems.id });
    expect(again.status).toBe(409);
  });

  it('lists the jobs of every operation through GET /v2/jobs', async () => {
    const video = await run('/v2/videos/generate', { model: 'kling-2.6', prompt: 'listed' });
    const { body } = await call('GET', '/v2/jobs?limit=100');
    expect(body.jobs.find((job: { id: string }) => job.id === video.id)).toMatchObject({ creditCost: 35 });
  });
});

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
      const response = await fetch(`${sim.url}/v2/videos/generate`, {
        method: 'POST',
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
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

describe('directives on every operation', () => {
  it('reads them from any string of a body without a prompt, percent-encoded in a URL too', async () => {
    const failed = await run('/v2/images/background-remove', {
      model: 'bria-bg-remove',
      briaBgRemoveParams: { image: `${IMAGE}?sim=${encodeURIComponent('[sim:fail]')}` },
    });
    expect(failed).toMatchObject({ status: 'FAILED', creditCost: 0 });
    const priced = await run('/v2/videos/upscale', {
      model: 'topaz-video-upscale',
      topazVideoParams: {
        video: `${VIDEO}?sim=${encodeURIComponent('[sim:cost=13]')}`,
        target_resolution: '4k',
        target_fps: 60,
      },
    });
    expect(priced.creditCost).toBe(13);
    expect((await call('POST', '/v2/music/generate', { model: 'suno', prompt: 'x [sim:status=503]' })).status).toBe(
      503,
    );
  });

  it('passes the directives after [sim:then] on to the actions on a job, and not to the job', async () => {
    const grid = await run('/v2/images/generate', { model: 'midjourney', prompt: 'a cat [sim:then] [sim:cost=9]' });
    expect(grid.creditCost).toBe(5);
    const upsample = await run('/v2/images/midjourney/action', { action: 'upsample', index: 1, parentJobId: grid.id });
    expect(upsample.creditCost).toBe(9);
    const song = await run('/v2/music/generate', { model: 'suno', prompt: 'a song [sim:then][sim:fail]' });
    const stems = await run('/v2/music/suno/action', { action: 'stems', index: 2, parentJobId: song.id });
    expect(stems).toMatchObject({ status: 'FAILED', creditCost: 0 });
  });
});

describe('GET /v2/models', () => {
  it('answers the catalogue in the spec’s shape, without a key', async () => {
    const response = await fetch(`${sim.url}/v2/models`);
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
