// The calls of Apiframe's official SDK, made by a client written the way it makes them
// (test/helpers/sdk-style-client.ts), pointed at the gateway with a team key: every job-submitting
// operation, jobs, the account, the model catalogue, uploads, LoRAs and assets answer as Apiframe's
// spec says, with the key in X-API-Key as the SDK sends it and as a Bearer token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APIFRAME_JOB_OPERATIONS, APIFRAME_PRICE_NAMES } from '../../src/schemas/apiframe-spec.js';
import { startGateway, type CreatedKey, type TestGateway } from '../helpers/gateway.js';
import { fileOf } from '../helpers/files.js';
import { ApiframeCallError, sdkStyleClient, type SdkStyleClient } from '../helpers/sdk-style-client.js';
import { minimalBodies } from '../helpers/spec-bodies.js';

let gw: TestGateway;
let key: CreatedKey;
let clients: Record<'x-api-key' | 'bearer', SdkStyleClient>;
let catalogue: { id: string; operation: string }[];

beforeAll(async () => {
  const pricing = Object.fromEntries(APIFRAME_PRICE_NAMES.map((name) => [name, 1_000]));
  gw = await startGateway({ env: { PRICING: JSON.stringify(pricing) } });
  key = await gw.createKey();
  const baseUrl = await gw.app.listen({ port: 0, host: '127.0.0.1' });
  clients = {
    'x-api-key': sdkStyleClient({ apiKey: key.key, baseUrl }),
    bearer: sdkStyleClient({ apiKey: key.key, baseUrl, auth: 'bearer' }),
  };
  catalogue = (await clients['x-api-key'].models()).models as typeof catalogue;
});
afterAll(() => gw.close());

/** A body of the first model the simulator runs for each operation that picks a model. */
function modelBodies(): [string, Record<string, unknown>][] {
  return APIFRAME_JOB_OPERATIONS.filter((operation) => operation.tag === 'model').map((operation) => {
    const model = catalogue.find((entry) => `/v2/${entry.operation}` === operation.path)!.id;
    return [operation.path, minimalBodies(operation).get(model)!];
  });
}

describe.each(['x-api-key', 'bearer'] as const)('an SDK-style client presenting its key as %s', (auth) => {
  const client = () => clients[auth];

  it('submits a job to every operation that picks a model and waits for each to complete', async () => {
    for (const [path, body] of modelBodies()) {
      const accepted = await client().submit(path as `/v2/${string}`, body);
      expect(accepted).toEqual({ jobId: expect.any(String), status: 'QUEUED' });
      const job = await client().waitFor(accepted.jobId);
      expect(job, path).toMatchObject({ id: accepted.jobId, status: 'COMPLETED', creditCost: expect.any(Number) });
    }
  });

  it('runs a Midjourney action and a Suno action on jobs of its own', async () => {
    const grid = await client().submit('/v2/images/generate', { model: 'midjourney', prompt: 'a lighthouse' });
    await client().waitFor(grid.jobId);
    const upsample = await client().submit('/v2/images/midjourney/action', {
      action: 'upsample',
      index: 1,
      parentJobId: grid.jobId,
    });
    expect((await client().waitFor(upsample.jobId)).status).toBe('COMPLETED');
    const song = await client().submit('/v2/music/generate', { model: 'suno', prompt: 'a song about the sea' });
    await client().waitFor(song.jobId);
    const extend = await client().submit('/v2/music/suno/action', {
      action: 'extend',
      index: 1,
      parentJobId: song.jobId,
      continueAt: 30,
    });
    expect((await client().waitFor(extend.jobId)).status).toBe('COMPLETED');
  });

  it('lists its jobs page by page, reads its account and the catalogue', async () => {
    const page = await client().jobs({ limit: 2 });
    expect(page).toMatchObject({ jobs: [expect.any(Object), expect.any(Object)], hasMore: true });
    const next = await client().jobs({ limit: 2, cursor: page.nextCursor! });
    expect(next.jobs.map((job) => job.id)).not.toContain(page.jobs[0]!.id);
    expect(await client().me()).toMatchObject({ team: expect.any(Object) });
    const videos = await client().models('video');
    expect(videos.models.length).toBeGreaterThan(0);
    expect(videos.models.every((entry) => entry.modality === 'video')).toBe(true);
  });

  it('gets the same job back when it repeats a submission with its Idempotency-Key', async () => {
    const body = { model: 'seedream-4', prompt: 'a kite over the dunes' };
    const idempotencyKey = `sdk-${auth}-${Date.now()}`;
    const first = await client().submit('/v2/images/generate', body, idempotencyKey);
    const again = await client().submit('/v2/images/generate', body, idempotencyKey);
    expect(again.jobId).toBe(first.jobId);
  });

  it('uploads a file and names its URL in a job, trains a LoRA and runs flux-lora with it', async () => {
    const upload = await client().upload(fileOf('png'), 'room.png');
    expect(upload).toMatchObject({ id: expect.any(String), url: expect.any(String), kind: 'image' });
    const edit = await client().submit('/v2/images/background-remove', {
      model: 'bria-bg-remove',
      briaBgRemoveParams: { image: upload.url },
    });
    expect((await client().waitFor(edit.jobId)).status).toBe('COMPLETED');

    const images = Array.from({ length: 15 }, () => fileOf('png', 2048));
    const lora = await client().trainLora(`style-${auth}`, images);
    expect(lora).toMatchObject({ id: expect.any(String), status: 'PENDING', imageCount: 15 });
    expect((await client().loras()).items.map((item) => item.id)).toContain(lora.id);
    await expect.poll(async () => (await client().lora(lora.id as string)).status).toBe('READY');
    const portrait = await client().submit('/v2/images/generate', {
      model: 'flux-lora',
      prompt: 'a portrait in the trained style',
      fluxLoraParams: { loraId: lora.id },
    });
    expect((await client().waitFor(portrait.jobId)).status).toBe('COMPLETED');
    expect(await client().archiveLora(lora.id as string)).toBeUndefined();
  });

  it('registers an asset and reads it back', async () => {
    const { assetId } = await client().createAsset('https://example.com/clip.mp4', 'video');
    expect(await client().asset(assetId)).toMatchObject({ id: assetId });
  });

  it('sees the errors it would see from Apiframe: 400 with details, 404 for a job not its own', async () => {
    const invalid = await client()
      .submit('/v2/videos/generate', { model: 'kling-2.6', prompt: '' })
      .catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(ApiframeCallError);
    expect(invalid).toMatchObject({ status: 400, body: { error: expect.any(String), details: expect.any(Object) } });
    const missing = await client()
      .job('00000000-0000-4000-8000-000000000000')
      .catch((error: unknown) => error);
    expect(missing).toMatchObject({ status: 404, body: { error: expect.any(String) } });
  });
});
