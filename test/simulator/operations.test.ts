// The simulator over real HTTP: every job-submitting operation of Apiframe's spec answers 202 and
// its job completes with the creditCost the catalogue's rule makes of the request, actions run on
// their parents, and the [sim:…] directives reach every operation. Refusals are in
// refusals.test.ts, the catalogue in catalogue.test.ts.
import { describe, expect, it } from 'vitest';
import { useSimulator } from '../helpers/simulator-calls.js';

const IMAGE = 'https://example.com/cat.png';
const VIDEO = 'https://example.com/cat.mp4';

const { call, run } = useSimulator({ prices: { 'suno:cover': 11 } });

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
