// Apiframe's own request id, for its support: logged beside the gateway's on every upstream call,
// and answered to the caller as Apiframe-Request-Id whenever its request called Apiframe, keyed by
// the gateway's own id of the request (a caller's x-request-id is only logged beside it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_BODY, startGateway, type CreatedKey, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let key: CreatedKey;

beforeAll(async () => {
  gw = await startGateway();
  key = await gw.createKey();
});
afterAll(() => gw.close());

/** The log lines of the upstream calls made for the gateway request `requestId`. */
const upstreamCalls = (requestId: string) =>
  gw.logs
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.msg === 'apiframe call' && entry.requestId === requestId);

describe('Apiframe-Request-Id', () => {
  it('answers a submission with Apiframe’s id, logged beside the gateway’s', async () => {
    const accepted = await gw.generate(key.key);
    expect(accepted.statusCode).toBe(202);
    const apiframeId = accepted.headers['apiframe-request-id'];
    expect(apiframeId).toMatch(/^req_[0-9a-f-]{36}$/);
    expect(apiframeId).not.toBe(accepted.headers['x-request-id']);
    expect(upstreamCalls(accepted.headers['x-request-id'] as string)).toEqual([
      expect.objectContaining({ operation: 'generate', status: 202, apiframeRequestId: apiframeId }),
    ]);

    const polled = await gw.poll(key.key, accepted.json().jobId);
    expect(polled.headers['apiframe-request-id']).toMatch(/^req_/);
    expect(polled.headers['apiframe-request-id']).not.toBe(apiframeId);
  });

  it('answers a failure Apiframe reported with its id too', async () => {
    const failed = await gw.generate(key.key, { ...SEED_BODY, prompt: 'x [sim:status=500]' });
    expect(failed.statusCode).toBeGreaterThanOrEqual(500);
    const [call] = upstreamCalls(failed.headers['x-request-id'] as string);
    expect(call).toMatchObject({ status: 500, apiframeRequestId: expect.stringMatching(/^req_/) });
    expect(failed.headers['apiframe-request-id']).toBe(call.apiframeRequestId);
  });

  it('keeps each request’s own Apiframe id when two in flight carry the same x-request-id', async () => {
    const headers = { 'x-api-key': key.key, 'x-request-id': 'same-id' };
    const submit = (prompt: string) =>
      gw.inject({ method: 'POST', url: '/v2/images/generate', headers, payload: { ...SEED_BODY, prompt } });
    const slow = submit('slow [sim:latency=300]');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const fast = await submit('fast');
    const answers = [await slow, fast];
    const gatewayIds = answers.map((answer) => answer.headers['x-request-id'] as string);
    expect(new Set(gatewayIds).size).toBe(2);
    expect(gatewayIds).not.toContain('same-id');
    for (const [answer, gatewayId] of answers.map((answer, i) => [answer, gatewayIds[i]!] as const)) {
      expect(answer.statusCode).toBe(202);
      const [call] = upstreamCalls(gatewayId);
      expect(answer.headers['apiframe-request-id']).toBe(call.apiframeRequestId);
    }
    expect(answers[0]!.headers['apiframe-request-id']).not.toBe(answers[1]!.headers['apiframe-request-id']);
    const forwardedIds = gw.sim.requests.slice(-2).map((request) => request.headers['x-request-id']);
    expect(forwardedIds.sort()).toEqual([...gatewayIds].sort());
    const incoming = gw.logs.map((line) => JSON.parse(line)).filter((entry) => entry.callerRequestId === 'same-id');
    expect(new Set(incoming.map((entry) => entry.reqId))).toEqual(new Set(gatewayIds));
  });

  it('is readable by a browser page of an allowed origin, as is x-request-id', async () => {
    const origin = 'https://app.example.com';
    const browserKey = await gw.createKey({ allowedOrigins: [origin] });
    const accepted = await gw.inject({
      method: 'POST',
      url: '/v2/images/generate',
      headers: { origin, 'x-api-key': browserKey.key },
      payload: SEED_BODY,
    });
    expect(accepted.statusCode).toBe(202);
    expect(accepted.headers['apiframe-request-id']).toMatch(/^req_/);
    expect(accepted.headers['access-control-allow-origin']).toBe(origin);
    const exposed = String(accepted.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['apiframe-request-id', 'x-request-id']));
  });

  it('is absent when the request never reached Apiframe, and is forgotten once answered', async () => {
    const refused = await gw.generate(key.key, { ...SEED_BODY, model: 'no-such-model' });
    expect(refused.statusCode).toBe(400);
    expect(refused.headers).not.toHaveProperty('apiframe-request-id');
    const usage = await gw.inject({ method: 'GET', url: '/v2/usage', headers: { 'x-api-key': key.key } });
    expect(usage.headers).not.toHaveProperty('apiframe-request-id');
    const accepted = await gw.generate(key.key);
    expect(gw.app.services.apiframeRequestIds.last(accepted.headers['x-request-id'] as string)).toBeUndefined();
  });
});
