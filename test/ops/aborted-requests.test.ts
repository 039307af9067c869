// A request whose client leaves before its answer: counted once in the metrics (status 499, no
// request left in flight for ever), logged as aborted, nothing of it kept, and its job still
// recorded and charged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { parseExposition } from '../helpers/prometheus-text.js';

let gw: TestGateway;
let url: string;
beforeAll(async () => {
  gw = await startGateway();
  await gw.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(gw.app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await gw.close();
});

async function series(name: string): Promise<{ labels: Record<string, string>; value: number }[]> {
  const text = await gw.app.services.metrics.registry.metrics();
  return parseExposition(text).filter((sample) => sample.name === `apiframe_gateway_${name}`);
}

describe('a request aborted by its client', () => {
  it('is counted once as 499, leaves nothing in flight, is logged, and its job is still charged', async () => {
    const key = await gw.createKey();
    const leaving = new AbortController();
    const sent = fetch(`${url}/v2/images/generate`, {
      method: 'POST',
      signal: leaving.signal,
      headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a slow one [sim:latency=400]', model: 'seedream-4' }),
    }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 150));
    leaving.abort();
    expect(await sent).toBeInstanceOf(Error);
    // Apiframe answers after 400 ms: the job it accepted is recorded and its reservation kept.
    const apiframeCalls = () => gw.logs.filter((line) => line.includes('"msg":"apiframe call"'));
    await expect.poll(() => apiframeCalls().length, { timeout: 3000 }).toBe(1);
    expect(JSON.parse(apiframeCalls()[0]!)).toMatchObject({ operation: 'generate', status: 202 });
    await expect
      .poll(async () => (await gw.app.services.store.listJobs({ team: key.team, limit: 10 })).jobs.length)
      .toBe(1);
    expect((await gw.spend(key)).day).toBe(3);
    await expect.poll(async () => (await series('http_requests_in_flight'))[0]?.value).toBe(0);

    const aborted = (await series('http_requests_total')).filter((sample) => sample.labels.status === '499');
    expect(aborted).toEqual([
      {
        name: 'apiframe_gateway_http_requests_total',
        labels: expect.objectContaining({ route: '/v2/images/generate' }),
        value: 1,
      },
    ]);
    const lines = gw.logs.map((line) => JSON.parse(line) as { msg: string; reqId: string; req?: { url: string } });
    const abortedLines = lines.filter((line) => line.msg === 'request aborted by its client');
    expect(abortedLines).toEqual([
      expect.objectContaining({ req: expect.objectContaining({ url: '/v2/images/generate' }) }),
    ]);
    // Apiframe's request id, kept while the request is in flight, is let go of too.
    expect(gw.app.services.apiframeRequestIds.last(abortedLines[0]!.reqId)).toBeUndefined();
  });
});
