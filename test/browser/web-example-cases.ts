// The web example (examples/web) in Debian's Chromium against a real gateway on Redis and the
// simulator, with the page served from two loopback origins: the one its key allows and another
// that got hold of the same key. One set of cases, run by each kind of browser key's test file.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWebExample, type BrowserKey, type Mint, type WebExample } from '../../scripts/web-example.js';
import { launchChromium } from '../helpers/browser.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

export interface IssuedKey {
  /** What the example's backend calls to give a session its browser key. */
  mint: Mint;
  /** Revokes the key itself (a team key) or the key it was minted from (an ephemeral key). */
  revoke(): Promise<void>;
}

export interface BrowserKeyKind {
  /** Prepares browser keys for pages on `origin`, valid 15 minutes, each spending at most `credits`. */
  issue(gateway: { gw: TestGateway; url: string }, options: { origin: string; credits: number }): Promise<IssuedKey>;
}

const JOB_MS = 3_000;
const SETTLED_MS = 20_000;

/** The gateway, the example on both origins and Chromium, for one test file; a fresh browser session per page. */
function webExampleBench(kind: BrowserKeyKind) {
  let redis: RedisServer;
  let gw: TestGateway;
  let gatewayUrl: string;
  let browser: Browser;
  let allowed: WebExample;
  let other: WebExample;
  let skewMs = 0;
  let mint: Mint;
  let lastMinted: BrowserKey | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    gw = await startGateway({
      redisUrl: redis.url,
      clock: () => Date.now() + skewMs,
      simulator: { jobDurationMs: JOB_MS },
    });
    gatewayUrl = await gw.app.listen({ port: 0, host: '127.0.0.1' });
    allowed = await startWebExample({ gatewayUrl, mint: async (session) => (lastMinted = await mint(session)) });
    // A page elsewhere that lifted the allowed page's key.
    other = await startWebExample({ gatewayUrl, mint: async () => lastMinted! });
    browser = await launchChromium();
  }, 60_000);
  afterEach(async () => {
    skewMs = 0;
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([allowed?.close(), other?.close()]);
    await gw?.close();
    await redis?.destroy();
  });

  return {
    /** Makes the allowed page's backend hand out keys of this kind, spending at most `credits`. */
    async issue(credits = 30): Promise<IssuedKey> {
      const issued = await kind.issue({ gw, url: gatewayUrl }, { origin: allowed.url, credits });
      mint = issued.mint;
      return issued;
    },
    /** The key the allowed page's backend handed out last. */
    lastMinted: () => lastMinted!,
    /** Moves the gateway's clock past every key's 15 minutes (until the test ends). */
    expireKeys() {
      skewMs = 16 * 60_000;
    },
    /** The example page on the allowed origin or the other one, once it has shown the credits or an error. */
    async open(origin: 'allowed' | 'other'): Promise<Page> {
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      await page.goto((origin === 'allowed' ? allowed : other).url);
      await page.waitForSelector('body:is([data-state="ready"], [data-state="error"])');
      return page;
    },
    /** The gateway's answer to `key` on GET /v2/me, as a script (no Origin) sees it. */
    me: (key: string) => gw.inject({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': key } }),
    /** The submissions that reached the simulator. */
    submissions: () => gw.sim.requests.filter((request) => request.method === 'POST').length,
    /** The preflights the gateway has answered for `url`. */
    preflights: (url: string) =>
      gw.logs.filter((line) => {
        const { req } = JSON.parse(line) as { req?: { method: string; url: string } };
        return req?.method === 'OPTIONS' && req.url === url && line.includes('request completed');
      }).length,
  };
}

/** Presses Generate and answers the page's state once the job or its refusal is shown. */
async function generate(page: Page): Promise<string> {
  await page.click('#generate button');
  await page.waitForSelector('body:not([data-state="working"])', { timeout: SETTLED_MS });
  return (await page.getAttribute('body', 'data-state'))!;
}

const credits = async (page: Page) => Number(await page.textContent('#credits'));
const shownError = async (page: Page) => ({
  status: await page.getAttribute('#error', 'data-status'),
  text: await page.textContent('#error'),
});

export function describeWebExample(kind: BrowserKeyKind): void {
  const { issue, lastMinted, expireKeys, open, me, submissions, preflights } = webExampleBench(kind);

  describe('the web example in Chromium', () => {
    it('completes a job: its progress, then the image, and the credits go down by its price', async () => {
      await issue();
      const page = await open('allowed');
      expect(await page.getAttribute('body', 'data-state')).toBe('ready');
      const before = await credits(page);
      expect(await generate(page)).toBe('completed');
      expect(await page.$$eval('#progress li', (items) => items.map((item) => item.textContent))).toEqual([
        'QUEUED',
        'PROCESSING',
        'COMPLETED',
      ]);
      expect(await page.getAttribute('#result img', 'src')).toMatch(/^https:\/\/cdn\.simulator\.invalid\/.+\.png$/);
      expect(await credits(page)).toBe(before - 3);
    });

    it('is blocked on another origin by CORS, and nothing is charged', async () => {
      await issue();
      await open('allowed');
      const { key } = lastMinted();
      const creditsBefore = (await me(key)).json().team.credits;
      const submitted = submissions();
      const page = await open('other');
      expect(await shownError(page)).toMatchObject({ status: 'blocked' });
      expect(await generate(page)).toBe('error');
      expect(await shownError(page)).toMatchObject({ status: 'blocked' });
      expect(submissions()).toBe(submitted);
      expect((await me(key)).json().team.credits).toBe(creditsBefore);
    });

    it('shows the gateway’s 401 once the key has expired', async () => {
      await issue();
      const page = await open('allowed');
      expireKeys();
      const refusal = await me(lastMinted().key);
      expect(refusal.statusCode).toBe(401);
      expect(await generate(page)).toBe('error');
      expect(await shownError(page)).toEqual({ status: '401', text: `401 ${refusal.body}` });
    });

    it('shows the gateway’s 401 once the key, or the key it was minted from, is revoked', async () => {
      const issued = await issue();
      const page = await open('allowed');
      await issued.revoke();
      await expect.poll(async () => (await me(lastMinted().key)).statusCode, { timeout: 2_000 }).toBe(401);
      expect(await generate(page)).toBe('error');
      expect(await shownError(page)).toEqual({ status: '401', text: `401 ${(await me(lastMinted().key)).body}` });
    });

    it('shows the gateway’s 402 once the key has spent its cap, and sends nothing upstream', async () => {
      await issue(3);
      const page = await open('allowed');
      expect(await credits(page)).toBe(3);
      expect(await generate(page)).toBe('completed');
      expect(await credits(page)).toBe(0);
      const submitted = submissions();
      expect(await generate(page)).toBe('error');
      const { status, text } = await shownError(page);
      expect(status).toBe('402');
      expect(JSON.parse(text!.slice('402 '.length))).toMatchObject({ creditsRequired: 3, creditsAvailable: 0 });
      expect(submissions()).toBe(submitted);
    });

    it('caches preflights (Access-Control-Max-Age): a second job sends no OPTIONS', async () => {
      await issue();
      const page = await open('allowed');
      const generates = preflights('/v2/images/generate');
      const mes = preflights('/v2/me');
      const started = Date.now();
      expect(await generate(page)).toBe('completed');
      expect(preflights('/v2/images/generate')).toBe(generates + 1);
      // Chromium keeps a preflight answered without Access-Control-Max-Age for 5 s: wait longer.
      await page.waitForTimeout(Math.max(0, started + 6_000 - Date.now()));
      expect(await generate(page)).toBe('completed');
      expect(preflights('/v2/images/generate')).toBe(generates + 1);
      // The page asked for its credits three times (on load, after each job), over one preflight.
      expect(preflights('/v2/me')).toBe(mes);
    }, 40_000);
  });
}
