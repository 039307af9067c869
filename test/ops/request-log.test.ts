// The request log: one line per request at `info`, written when it is answered and naming the
// request and its answer; its arrival is logged too at `debug`.
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const UNKNOWN_JOB = '00000000-0000-4000-8000-000000000000';
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

async function linesOfOneRequest(level: string): Promise<Record<string, unknown>[]> {
  gw = await startGateway({ env: { LOG_LEVEL: level } });
  const key = await gw.createKey();
  const answer = await gw.poll(key.key, UNKNOWN_JOB);
  expect(answer.statusCode).toBe(404);
  const requestId = answer.headers['x-request-id'];
  return gw.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.reqId === requestId);
}

describe('the request log', () => {
  it('writes one line per request at info, when it is answered, naming the request and its answer', async () => {
    const lines = await linesOfOneRequest('info');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { method: 'GET', url: `/v2/jobs/${UNKNOWN_JOB}` },
      res: { statusCode: 404 },
    });
    expect(lines[0]!.responseTime).toEqual(expect.any(Number));
  });

  it('logs the arrival of each request too at debug', async () => {
    const lines = await linesOfOneRequest('debug');
    expect(lines.map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
    expect(lines[0]).toMatchObject({ level: 20, req: { method: 'GET', url: `/v2/jobs/${UNKNOWN_JOB}` } });
  });
});
