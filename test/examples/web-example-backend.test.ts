// The web example's backend over HTTP: it hands a browser key only to a signed-in session, mints
// once per session until the key nears its expiry, and passes the gateway's refusal to the page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebExample, type BrowserKey, type WebExample } from '../../scripts/web-example.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let gatewayUrl: string;
const started: WebExample[] = [];
beforeAll(async () => {
  gw = await startGateway();
  gatewayUrl = await gw.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await Promise.all(started.map((example) => example.close()));
  await gw.close();
});

async function example(options: { serverKey?: string; mint?: () => Promise<BrowserKey> }): Promise<WebExample> {
  const running = await startWebExample({ gatewayUrl, ...options });
  started.push(running);
  return running;
}

/** Loads the page (signing in) and answers a function asking for the session's browser key. */
async function signIn(url: string) {
  const page = await fetch(url);
  expect(page.status).toBe(200);
  const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
  return async () => {
    const response = await fetch(`${url}/api/browser-key`, { method: 'POST', headers: { cookie } });
    return { status: response.status, body: (await response.json()) as { key?: string; error?: string } };
  };
}

describe("the web example's backend", () => {
  it('gives no key to a visitor who has not loaded the page', async () => {
    const { url } = await example({ mint: async () => ({ key: 'gke_never', expiresAt: null }) });
    const response = await fetch(`${url}/api/browser-key`, { method: 'POST' });
    expect(response.status).toBe(401);
  });

  it('mints once per session, and again when the key has less than a minute left', async () => {
    const minted: BrowserKey[] = [];
    let lifetimeMs = 15 * 60_000;
    const { url } = await example({
      mint: async () => {
        minted.push({ key: `gke_${minted.length}`, expiresAt: new Date(Date.now() + lifetimeMs).toISOString() });
        return minted.at(-1)!;
      },
    });
    const first = await signIn(url);
    expect((await first()).body).toMatchObject({ key: 'gke_0', gatewayUrl });
    expect((await first()).body.key).toBe('gke_0');
    expect((await (await signIn(url))()).body.key).toBe('gke_1');
    lifetimeMs = 30_000;
    const third = await signIn(url);
    expect((await third()).body.key).toBe('gke_2');
    expect((await third()).body.key).toBe('gke_3');
  });

  it("passes the gateway's refusal to mint on to the page, status and body", async () => {
    const withoutScope = await gw.createKey();
    const { url } = await example({ serverKey: withoutScope.key });
    const answer = await (await signIn(url))();
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ error: expect.any(String) });
  });
});
