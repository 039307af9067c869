// POST /v2/uploads through the gateway over real HTTP, the body streamed to the simulator: the
// upload is the caller's team's, free of credits; an oversize file is refused with 413 once its
// limit is passed, with no more than the limit forwarded; a body without a file, or with a file of
// no supported kind, is a 400 with nothing forwarded at all.
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startGateway, type CreatedKey, type TestGateway } from '../helpers/gateway.js';
import { fileOf, type FileType, type RawPart, rawMultipart, uploadForm } from '../helpers/files.js';

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

/**
 * The bytes Apiframe has received, once the last bytes of an earlier upload have arrived: those
 * of a refused one may still be in flight when its 413 is answered, and would count as the next.
 */
async function settledBytesReceived(): Promise<number> {
  for (let last = gw.sim.multipartBytesReceived(); ; ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = gw.sim.multipartBytesReceived();
    if (now === last) return now;
    last = now;
  }
}

/** Uploads a file of `type` and `bytes` (none when bytes is undefined); the answer and what reached Apiframe. */
async function upload(type: FileType, bytes: number | undefined, headers: Record<string, string> = {}) {
  const before = await settledBytesReceived();
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

/** Sends `parts` as raw multipart bytes; the answer and what reached Apiframe. */
async function uploadRaw(parts: RawPart[]) {
  const before = gw.sim.multipartBytesReceived();
  const chunks: Buffer[] = [];
  for await (const chunk of rawMultipart('raw-boundary', parts)) chunks.push(chunk);
  const response = await fetch(`${url}/v2/uploads`, {
    method: 'POST',
    headers: { 'x-api-key': key.key, 'content-type': 'multipart/form-data; boundary=raw-boundary' },
    body: Buffer.concat(chunks),
  });
  // biome-ignore lint/suspicious/noExplicitAny: checked by the assertions
  const body = (await response.json()) as any;
  return { status: response.status, body, forwarded: gw.sim.multipartBytesReceived() - before };
}

describe('POST /v2/uploads counts every byte', () => {
  const smallPng: RawPart = { disposition: 'name="file"; filename="a.png"', content: { type: 'png', bytes: 1024 } };

  it('refuses a second file named with an unquoted filename or filename*, forwarding next to nothing', async () => {
    for (const disposition of ['name="file"; filename=b.mp4', `name="file"; filename*=UTF-8''b.png`]) {
      const answer = await uploadRaw([smallPng, { disposition, content: { type: 'mp4', bytes: 30 * MB } }]);
      expect(answer.status).toBe(400);
      expect(answer.forwarded).toBeLessThan(64 * 1024);
    }
  });

  it('refuses a 30 MB text field after the file, forwarding next to nothing', async () => {
    const answer = await uploadRaw([smallPng, { disposition: 'name="note"', content: 'x'.repeat(30 * MB) }]);
    expect(answer.status).toBe(400);
    expect(answer.forwarded).toBeLessThan(200 * 1024);
  });
});

describe('POST /v2/uploads cut off by its caller', () => {
  it('finishes the handler and holds nothing when the client disconnects before the first file', async () => {
    const { uploads } = gw.app.services.objects;
    const original = uploads.upload;
    let settled: Promise<unknown> | undefined;
    uploads.upload = (...args) => {
      const call = original(...args);
      settled = call.catch((error: unknown) => error);
      return call;
    };
    try {
      const { port } = new URL(url);
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise((resolve) => socket.on('connect', resolve));
      socket.write(
        `POST /v2/uploads HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key.key}\r\n` +
          'Content-Type: multipart/form-data; boundary=cut\r\nContent-Length: 100000\r\n\r\n' +
          '--cut\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello',
      );
      await vi.waitFor(() => expect(settled).toBeDefined());
      socket.destroy();
      await expect(settled).resolves.toMatchObject({ statusCode: 400 });
      await vi.waitFor(async () => expect(await connections(gw.app.server)).toBe(0));
    } finally {
      uploads.upload = original;
    }
  });
});

function connections(server: Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}
