// The simulator's uploads, LoRAs and assets over real HTTP, in the spec's shapes: files sniffed by
// their first bytes and held to Apiframe's limits, LoRAs trained (or failed and refunded) over
// time and archived, assets registered and read back verbatim.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { fileOf, loraForm, uploadForm } from '../helpers/files.js';

const API_KEY = 'afk_simulator_objects_test';
const JOB_MS = 300;
const MB = 1024 * 1024;

// biome-ignore lint/suspicious/noExplicitAny: answers are checked by the assertions
type Json = any;

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: API_KEY, jobDurationMs: JOB_MS });
});
afterAll(() => sim.close());

async function call(method: string, path: string, body?: FormData | object) {
  const json = body !== undefined && !(body instanceof FormData);
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: { 'x-api-key': API_KEY, ...(json && { 'content-type': 'application/json' }) },
    body: json ? JSON.stringify(body) : (body as FormData | undefined),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Json };
}

describe('POST /v2/uploads', () => {
  it('answers 201 with the Upload of a sniffed file', async () => {
    const answer = await call('POST', '/v2/uploads', uploadForm(fileOf('png', 5000), 'cat.txt'));
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      url: expect.stringMatching(/^https:\/\/.+\.png$/),
      kind: 'image',
      contentType: 'image/png',
      byteSize: 5000,
      expiresAt: expect.any(String),
    });
    const video = await call('POST', '/v2/uploads', uploadForm(fileOf('mp4', 30 * MB)));
    expect(video.body).toMatchObject({ kind: 'video', contentType: 'video/mp4', byteSize: 30 * MB });
  });

  it('refuses no file, an unsupported type and an oversize file with 400', async () => {
    for (const form of [uploadForm(undefined), uploadForm(fileOf('text')), uploadForm(fileOf('png', 26 * MB))]) {
      const answer = await call('POST', '/v2/uploads', form);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'Validation failed', details: { file: [expect.any(String)] } });
    }
  });

  it('counts the multipart bytes it receives', async () => {
    const before = sim.multipartBytesReceived();
    await call('POST', '/v2/uploads', uploadForm(fileOf('png', 10_000)));
    expect(sim.multipartBytesReceived() - before).toBeGreaterThan(10_000);
  });
});

describe('LoRAs', () => {
  it('trains a LoRA for 2 credits: PENDING, TRAINING, then READY', async () => {
    const before = sim.chargedCredits();
    const created = await call('POST', '/v2/loras', loraForm(15));
    expect(created).toEqual({ status: 202, body: { id: expect.any(String), status: 'PENDING', imageCount: 15 } });
    expect(sim.chargedCredits() - before).toBe(2);
    const pending = await call('GET', `/v2/loras/${created.body.id}`);
    expect(pending.body).toMatchObject({ status: 'PENDING', isReady: false, name: 'my face', steps: 1000 });
    await new Promise((resolve) => setTimeout(resolve, JOB_MS + 50));
    const ready = await call('GET', `/v2/loras/${created.body.id}`);
    expect(ready.body).toMatchObject({ status: 'READY', isReady: true, hasWeights: true, error: null });
  });

  it('refunds the 2 credits of a training that fails', async () => {
    const before = sim.chargedCredits();
    const created = await call('POST', '/v2/loras', loraForm(16, { name: 'doomed [sim:fail]' }));
    expect(sim.chargedCredits() - before).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, JOB_MS + 50));
    const failed = await call('GET', `/v2/loras/${created.body.id}`);
    expect(failed.body).toMatchObject({ status: 'FAILED', error: expect.any(String) });
    expect(sim.chargedCredits() - before).toBe(0);
  });

  it('refuses too few or too many images, and a person without gender, with 400', async () => {
    for (const form of [loraForm(14), loraForm(31), loraForm(15, { subjectKind: 'person', gender: 'robot' })]) {
      const answer = await call('POST', '/v2/loras', form);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('Validation failed');
    }
  });

  it('lists LoRAs newest first by cursor, hides the archived unless asked, archives idempotently', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await call('POST', '/v2/loras', loraForm(15))).body.id);
    const first = await call('GET', '/v2/loras?limit=2');
    expect(first.body.items.map((lora: Json) => lora.id)).toEqual([ids[2], ids[1]]);
    const second = await call('GET', `/v2/loras?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items[0].id).toBe(ids[0]);
    expect((await call('DELETE', `/v2/loras/${ids[2]}`)).status).toBe(204);
    expect((await call('DELETE', `/v2/loras/${ids[2]}`)).status).toBe(204);
    expect((await call('GET', '/v2/loras?limit=1')).body.items[0].id).toBe(ids[1]);
    const archived = await call('GET', '/v2/loras?limit=1&includeArchived=true');
    expect(archived.body.items[0]).toMatchObject({ id: ids[2], status: 'ARCHIVED' });
    expect((await call('GET', '/v2/loras/9a0b1c2d-3e4f-4a5b-8c7d-0e1f2a3b4c5d')).status).toBe(404);
    expect((await call('GET', '/v2/loras/not-a-uuid')).status).toBe(400);
  });
});

describe('assets', () => {
  it('registers an asset and answers its object verbatim', async () => {
    const created = await call('POST', '/v2/assets/create', { url: 'https://example.com/a.mp4', type: 'video' });
    expect(created).toEqual({ status: 201, body: { assetId: expect.any(String) } });
    const asset = await call('GET', `/v2/assets/${created.body.assetId}`);
    expect(asset.body).toMatchObject({ id: created.body.assetId, url: 'https://example.com/a.mp4', type: 'video' });
    expect((await call('GET', '/v2/assets/unknown')).status).toBe(404);
    const bad = await call('POST', '/v2/assets/create', { url: 'nope', type: 'pdf' });
    expect(bad).toMatchObject({ status: 400, body: { details: { url: expect.any(Array), type: expect.any(Array) } } });
  });
});
