// The dashboard's alert history, in a real browser: a key that crosses its budget's thresholds
// and overruns raises alerts, and the page lists the API's alerts, newest first, for the dates
// and team shown.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedUsage } from '../../scripts/seed-usage.js';
import { launchChromium } from '../helpers/browser.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { ADMIN_TOKEN, SEED_BODY, startGateway, testClock, type TestGateway } from '../helpers/gateway.js';

interface Row {
  dataset: Record<string, string>;
  children: ArrayLike<{ textContent: string }>;
}
interface Alert {
  id: string;
  team: string;
  keyId: string | null;
  kind: string;
  threshold: number | null;
  spent: number;
}

const DAYS = Array.from({ length: 5 }, (_, i) => `2026-11-${String(16 + i).padStart(2, '0')}`);
const FROM = DAYS[0]!;
const TODAY = DAYS.at(-1)!;

let redis: RedisServer;
let gw: TestGateway;
let browser: Browser;
let page: Page;
let url: string;
let usageKey: string;

/** Runs a job on `key` to its end. */
async function spend(key: string, prompt: string): Promise<void> {
  const submitted = await gw.inject({
    method: 'POST',
    url: '/v2/images/generate',
    headers: { 'x-api-key': key },
    payload: { ...SEED_BODY, prompt },
  });
  expect(submitted.statusCode, submitted.body).toBe(202);
  expect((await gw.poll(key, submitted.json().jobId)).json().status).toBe('COMPLETED');
}

beforeAll(async () => {
  redis = await startRedis();
  const clock = testClock();
  gw = await startGateway({ redisUrl: redis.url, clock });
  ({ usageKey } = await seedUsage(gw.app, { adminToken: ADMIN_TOKEN, setTime: clock.set, days: DAYS }));
  const created = await gw.inject({
    method: 'POST',
    url: '/admin/keys',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: { team: 'research', name: 'Lab notebook', budget: { credits: 10, period: 'month' } },
  });
  const { key } = created.json();
  // 3 credits a job: the second crosses 50 %, the third 80 % and costs 4, an overrun.
  await spend(key, 'a lab bench');
  await spend(key, 'a lab bench');
  await spend(key, 'a lab bench [sim:cost=4]');
  url = await gw.app.listen({ port: 0, host: '127.0.0.1' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(`${url}/dashboard/`);
  await page.fill('#token', usageKey);
  await page.click('#sign-in button[type=submit]');
  await page.fill('#from', FROM);
  await page.fill('#to', TODAY);
  await page.click('#range button[type=submit]');
  await page.waitForSelector(`body[data-loaded="${FROM}..${TODAY}"]`);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await gw.close();
  await redis.destroy();
});

const alerts = async (query: string): Promise<Alert[]> =>
  (
    await gw.inject({
      method: 'GET',
      url: `/admin/usage/alerts?${query}`,
      headers: { authorization: `Bearer ${usageKey}` },
    })
  ).json().alerts;

const shownAlerts = () =>
  page.$$eval('#alerts tbody tr', (trs) =>
    (trs as unknown as Row[]).map((tr) => ({
      id: tr.dataset.alert!,
      cells: Array.from(tr.children).map((td) => td.textContent),
    })),
  );

describe('the alert history', () => {
  it('lists the alerts the API gives for the dates shown, newest first', async () => {
    const expected = await alerts(`from=${FROM}&to=${TODAY}`);
    const kinds = expected.map((alert) => (alert.kind === 'overrun' ? 'overrun' : alert.threshold));
    expect(kinds).toEqual(expect.arrayContaining([50, 80, 'overrun']));
    const shown = await shownAlerts();
    expect(shown.map((row) => row.id)).toEqual(expected.map((alert) => alert.id));
    const threshold = shown.find((row) => row.id === expected.find((alert) => alert.threshold === 80)!.id)!;
    expect(threshold.cells).toEqual(
      expect.arrayContaining(['research', 'key Lab notebook', '80 % of the budget', 'no alert target']),
    );
    expect(await page.isVisible('#no-alerts')).toBe(false);
  });

  it('follows the team filter: another team’s page has none of them', async () => {
    await page.selectOption('#team', 'marketing');
    await page.waitForSelector(`body[data-loaded="${FROM}..${TODAY}?team=marketing"]`);
    const expected = await alerts(`from=${FROM}&to=${TODAY}&team=marketing`);
    expect((await shownAlerts()).map((row) => row.id)).toEqual(expected.map((alert) => alert.id));
    expect(expected.every((alert) => alert.team === 'marketing')).toBe(true);
    if (expected.length === 0) expect(await page.isVisible('#no-alerts')).toBe(true);
  });
});
