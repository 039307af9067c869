// POST /v2/uploads through the gateway over real HTTP, the body streamed to the simulator: the
// upload is the caller's team's, free of credits; an oversize file is refused with 413 once its
// limit is passed, with no more than the limit forwarded; a body without a file, or with a file of
// no supported kind, is a 400 with nothing forwarded at all.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startGateway, type CreatedKey, type TestGateway } from '../helpers/gateway.js';
import { fileOf, type FileType, uploadForm } from '../helpers/files.js';

const MB = 1024 * 1024;

let gw: TestGateway;
let key: CreatedKey;
let url: string;

beforeAll(async () => {
  gw = await startGateway();
  key = await gw.createKey();
  url = await gw.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => gw.close());

/** Uploads a file of `type` and `bytes` (none when bytes is undefined); the answer and what reached Apiframe. */
async function upload(type: FileType, bytes: number | undefined, headers: Record<string, string> = {}) {
  const before = gw.sim.multipartBytesReceived();
  const form = uploadForm(bytes === undefined ? undefined : fileOf(type, bytes));
  const response = await fetch(`${url}/v2/uploads`, {
    method: 'POST',
    headers: { 'x-api-key': key.key, ...headers },
    body: form,
  });
  // biome-ignore lint/suspicious/noExplicitAny: checked by the assertions
  const body = (await response.json()) as any;
  return { status: response.status, body, forwarded: gw.sim.multipartBytesReceived() - before };
}

describe('POST /v2/uploads', () => {
  it('streams the file to Apiframe and records the upload as the team’s, free of credits', async () => {
    const answer = await upload('png', 2 * MB);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body).toMatchObject({ kind: 'image', contentType: 'image/png', byteSize: 2 * MB });
    expect(answer.forwarded).toBeGreaterThan(2 * MB);
    const { store } = gw.app.services;
    expect(await store.uploadUrlOwner(answer.body.url)).toBe(key.team);
    expect((await gw.spend(key)).total).toBe(0);
  });

  it('keeps the record 24 hours, longer than Apiframe keeps the file', async () => {
    const recordUpload = vi.spyOn(gw.app.services.store, 'recordUpload');
    try {
      const answer = await upload('png', 1000);
      expect(answer.status).toBe(201);
      expect(recordUpload).toHaveBeenCalledWith({ team: key.team, url: answer.body.url, ttlMs: 24 * 60 * 60 * 1000 });
    } finally {
      recordUpload.mockRestore();
    }
  });

  it('answers 413 to a 60 MB video once 50 MB are passed, forwarding no more than the limit', async () => {
    const answer = await upload('mp4', 60 * MB);
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ code: 'GW_UPLOAD_TOO_LARGE' });
    expect(answer.forwarded).toBeLessThanOrEqual(50 * MB + 1024);
  });

  it('holds an image to 25 MB', async () => {
    const answer = await upload('png', 30 * MB);
    expect(answer.status).toBe(413);
    expect(answer.forwarded).toBeLessThanOrEqual(25 * MB + 1024);
  });

  it('refuses a body without a file, or with a file of no supported kind, with 400 and forwards nothing', async () => {
    const requestsBefore = gw.sim.requests.length;
    for (const [type, bytes] of [
      ['png', undefined],
      ['text', 5000],
    ] as const) {
      const answer = await upload(type, bytes);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'Validation failed', details: { file: [expect.any(String)] } });
      expect(answer.forwarded).toBe(0);
    }
    expect(gw.sim.requests.length).toBe(requestsBefore);
  });

  it('refuses a body that is not multipart, and a caller without a key', async () => {
    const json = await fetch(`${url}/v2/uploads`, {
      method: 'POST',
      headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBeGreaterThanOrEqual(400);
    expect(json.status).toBeLessThan(500);
    const anonymous = await fetch(`${url}/v2/uploads`, { method: 'POST', body: uploadForm(fileOf('png')) });
    expect(anonymous.status).toBe(401);
  });
});
