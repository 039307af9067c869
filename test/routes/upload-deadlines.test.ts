// Streamed uploads against the gateway's deadlines and connections, over real HTTP: an upload has
// UPLOAD_TIMEOUT_MS to arrive (not REQUEST_TIMEOUT_MS, which still cuts off a slow JSON body), a
// slower one is answered 408 with nothing created upstream, and uploads hold connections of their
// own (UPLOAD_CONNECTIONS), so a job submission never waits behind one.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawMultipart } from '../helpers/files.js';
import { type CreatedKey, SEED_BODY, startGateway, type TestGateway } from '../helpers/gateway.js';

const env = {
  REQUEST_TIMEOUT_MS: '400',
  UPLOAD_TIMEOUT_MS: '2500',
  UPSTREAM_CONNECTIONS: '1',
  UPLOAD_CONNECTIONS: '1',
  UPSTREAM_TIMEOUT_MS: '700',
};

let gw: TestGateway;
let key: CreatedKey;
let port: number;

beforeAll(async () => {
  gw = await startGateway({ env });
  key = await gw.createKey();
  port = Number(new URL(await gw.app.listen({ port: 0, host: '127.0.0.1' })).port);
});
afterAll(() => gw.close());

/** Upload requests Apiframe received whole. */
const uploadsReceived = () => gw.sim.requests.filter((request) => request.url === '/v2/uploads').length;

/** The chunks of an upload of a 64 KB PNG, all but the closing delimiter, then the closing delimiter. */
async function uploadChunks() {
  const chunks: Buffer[] = [];
  for await (const chunk of rawMultipart('slow', [
    { disposition: 'name="file"; filename="a.png"', content: { type: 'png', bytes: 64 * 1024 } },
  ]))
    chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const head =
    `POST /v2/uploads HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-API-Key: ${key.key}\r\n` +
    `Content-Type: multipart/form-data; boundary=slow\r\nContent-Length: ${body.length}\r\n\r\n`;
  return { head, body: body.subarray(0, -20), closing: body.subarray(-20) };
}

/** Opens a connection that collects what the gateway answers; `answer` resolves once it closes. */
async function rawConnection() {
  const socket: Socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.on('connect', resolve));
  let text = '';
  socket.on('data', (data) => (text += data));
  const answer = new Promise<string>((resolve) => socket.on('close', () => resolve(text)));
  socket.on('error', () => undefined);
  return { socket, answer };
}

describe('streamed uploads and deadlines', () => {
  it('gives an upload UPLOAD_TIMEOUT_MS to arrive, well past REQUEST_TIMEOUT_MS', async () => {
    const { head, body, closing } = await uploadChunks();
    const connection = await rawConnection();
    connection.socket.write(head);
    connection.socket.write(body);
    await sleep(1200);
    connection.socket.write(closing);
    expect(await connection.answer).toMatch(/^HTTP\/1\.1 201/);
  });

  it('answers 408 to an upload slower than UPLOAD_TIMEOUT_MS, creating nothing upstream', async () => {
    const uploads = uploadsReceived();
    const { head, body } = await uploadChunks();
    const connection = await rawConnection();
    const started = Date.now();
    connection.socket.write(head);
    connection.socket.write(body);
    expect(await connection.answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(uploadsReceived()).toBe(uploads);
  });

  it('sends a job submission at once while an upload holds the only upload connection, and a second upload waits', async () => {
    const { head, body, closing } = await uploadChunks();
    const slow = await rawConnection();
    slow.socket.write(head);
    slow.socket.write(body);
    await sleep(100);
    const submitted = await fetch(`http://127.0.0.1:${port}/v2/images/generate`, {
      method: 'POST',
      headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
      body: JSON.stringify(SEED_BODY),
    });
    expect(submitted.status).toBe(202);
    const second = await rawConnection();
    second.socket.write(head);
    second.socket.write(Buffer.concat([body, closing]));
    expect(await second.answer).toMatch(/^HTTP\/1\.1 504/);
    slow.socket.write(closing);
    expect(await slow.answer).toMatch(/^HTTP\/1\.1 201/);
  });
});
