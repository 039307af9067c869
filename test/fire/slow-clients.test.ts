// Clients that misbehave at the socket: oversized headers, and slowloris-style bodies that
// never finish. Both are cut off with the right status and cost nothing.
import { connect } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayOnRedis, SEED_BODY, type CreatedKey } from '../helpers/gateway.js';

const ctx = gatewayOnRedis({ env: { REQUEST_TIMEOUT_MS: '500' } });
let port: number;
let key: CreatedKey;

beforeAll(async () => {
  const url = new URL(await ctx.gw.app.listen({ port: 0, host: '127.0.0.1' }));
  port = Number(url.port);
  key = await ctx.gw.createKey();
});

/** Writes `chunks` (pausing `gapMs` between them) and resolves with what the server sent back. */
function rawRequest(chunks: string[], gapMs: number): Promise<{ answer: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let index = 0;
    const next = () => {
      if (index < chunks.length && !socket.destroyed) {
        socket.write(chunks[index++]!);
        setTimeout(next, gapMs);
      }
    };
    socket.on('connect', next);
    socket.on('data', (data) => (answer += data));
    socket.on('error', reject);
    socket.on('close', () => resolve({ answer, closedAfterMs: Date.now() - started }));
  });
}

describe('misbehaving clients', () => {
  it('answers oversized headers with 431', async () => {
    const { answer } = await rawRequest(
      [`GET /v2/me HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key.key}\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`],
      0,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 431/);
  });

  it('cuts off a body trickled slower than REQUEST_TIMEOUT_MS with 408, charging nothing', async () => {
    const body = JSON.stringify(SEED_BODY);
    const head = `POST /v2/images/generate HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key.key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const trickle = [head, ...body.match(/.{1,4}/g)!];
    const { answer, closedAfterMs } = await rawRequest(trickle, 100);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeLessThan(5_000);
    expect((await ctx.gw.spend(key)).total).toBe(0);
    console.log(`slowloris body cut off with 408 after ${closedAfterMs} ms`);
  });
});
