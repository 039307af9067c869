// The finance dashboard in a real browser: the numbers on screen are the API's, the chart
// renders, and the CSV download holds exactly what the chart shows; a usage:read:all key sees
// every team, a usage:read key its own team only.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedUsage } from '../../scripts/seed-usage.js';
import { launchChromium } from '../helpers/browser.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { ADMIN_TOKEN, startGateway, testClock, type TestGateway } from '../helpers/gateway.js';

// What the page functions below touch in the browser (this suite compiles without the DOM library).
interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}
interface ChartInstance {
  data: { labels: string[]; datasets: { label: string; data: number[] }[] };
}
declare const document: { querySelector(selector: string): Canvas };
declare const window: { Chart: { getChart(canvas: Canvas): ChartInstance } };
type Element = { dataset: Record<string, string>; children: { textContent: string | null }[] };

const DAYS = Array.from({ length: 10 }, (_, i) => `2026-11-${String(11 + i).padStart(2, '0')}`);
const FROM = DAYS[0]!;
const TO = DAYS.at(-1)!;

let redis: RedisServer;
let gw: TestGateway;
let browser: Browser;
let page: Page;
let url: string;
let usageKey: string;
let marketingUsageKey: string;

beforeAll(async () => {
  redis = await startRedis();
  const clock = testClock();
  gw = await startGateway({ redisUrl: redis.url, clock });
  ({ usageKey, marketingUsageKey } = await seedUsage(gw.app, {
    adminToken: ADMIN_TOKEN,
    setTime: clock.set,
    days: DAYS,
  }));
  url = await gw.app.listen({ port: 0, host: '127.0.0.1' });
  browser = await launchChromium();
  page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1280, height: 1000 } });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await gw.close();
  await redis.destroy();
});

const api = async (path: string, key = usageKey) =>
  (await gw.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${key}` } })).json();

async function signIn(key: string): Promise<void> {
  await page.fill('#token', key);
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('#report:not([hidden])');
}

async function chartData(): Promise<{
  labels: string[];
  datasets: { label: string; data: number[] }[];
  painted: number;
  width: number;
}> {
  return page.evaluate(() => {
    const canvas = document.querySelector('#spend-chart');
    const instance = window.Chart.getChart(canvas);
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
    return {
      labels: instance.data.labels,
      datasets: instance.data.datasets.map((d) => ({ label: d.label, data: d.data })),
      painted,
      width: canvas.width,
    };
  });
}

const shownKeys = () =>
  page.$$eval('#top-keys tbody tr', (trs) =>
    (trs as unknown as Element[]).map((tr) => ({
      key: tr.dataset.key,
      credits: Number(tr.children[2]!.textContent!.replaceAll(',', '')),
    })),
  );
const shownBudgets = () =>
  page.$$eval('#budgets li', (items) => (items as unknown as Element[]).map((li) => li.dataset.spent));
const budgetBars = (budgets: { teams: { budget: unknown; spent: number }[]; keys: { spent: number }[] }) =>
  [...budgets.teams.filter((t) => t.budget), ...budgets.keys].map((v) => String(v.spent));

async function showRange(): Promise<void> {
  await page.fill('#from', FROM);
  await page.fill('#to', TO);
  await page.click('#range button[type=submit]');
  await page.waitForSelector(`body[data-loaded="${FROM}..${TO}"]`);
}

describe('the finance dashboard', () => {
  it('refuses a wrong key and signs in with a usage:read:all key, showing every team', async () => {
    await page.goto(`${url}/dashboard`);
    await page.fill('#token', `gk_${'x'.repeat(43)}`);
    await page.click('#sign-in button[type=submit]');
    await expect.poll(() => page.textContent('#sign-in-error')).toBe('Invalid API key');
    await signIn(usageKey);
    expect(await page.isVisible('#sign-in')).toBe(false);
    expect(await page.isVisible('#sign-out')).toBe(true);
    await showRange();
    expect(await page.textContent('#reach')).toBe('All teams');
  });

  it('shows the totals the API reports', async () => {
    const { totals } = await api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=day,team`);
    expect(totals.credits).toBeGreaterThan(100);
    const shown = async (id: string) => Number((await page.textContent(id))!.replaceAll(',', ''));
    expect(await shown('#total-credits')).toBe(totals.credits);
    expect(await shown('#total-charged')).toBe(totals.charged);
    expect(await shown('#total-settlements')).toBe(totals.settlements);
    expect(await shown('#total-refunds')).toBe(totals.refunds);
    expect(totals.overrunCredits).toBeGreaterThan(0);
    expect(await shown('#total-overrun')).toBe(totals.overrunCredits);
  });

  it('shows credits by modality as the API totals them', async () => {
    const { totals, totalsByModality } = await api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=day,team`);
    expect(totalsByModality.image.credits).toBe(totals.credits);
    const shown = await page.$$eval('#by-modality tbody tr', (trs) =>
      (trs as unknown as Element[]).map((tr) => [
        tr.dataset.modality,
        ...Array.from(tr.children)
          .slice(1)
          .map((td) => Number(td.textContent!.replaceAll(',', ''))),
      ]),
    );
    expect(shown).toEqual(
      Object.entries(totalsByModality).map(([modality, of]) => {
        const { credits, charged, settlements, refunds } = of as Record<string, number>;
        return [modality, credits, charged, settlements, refunds];
      }),
    );
  });

  it('draws the chart: per day, stacked by team, with the API’s numbers', async () => {
    const { rows } = await api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=day,team`);
    const chart = await chartData();
    expect(chart.labels).toEqual(DAYS);
    expect(chart.datasets.map((d) => d.label)).toEqual(['design', 'marketing', 'research']);
    for (const row of rows) {
      const dataset = chart.datasets.find((d) => d.label === row.team)!;
      expect(dataset.data[DAYS.indexOf(row.day)]).toBe(row.credits);
    }
    expect(chart.width).toBeGreaterThan(300);
    expect(chart.painted).toBeGreaterThan(5_000);
  });

  it('lists the top keys and the budgets with their use', async () => {
    const { rows } = await api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=team,key`);
    const top = [...rows].sort((a, b) => b.credits - a.credits).slice(0, 10);
    expect(await shownKeys()).toEqual(
      top.map((row: { key: string; credits: number }) => ({ key: row.key, credits: row.credits })),
    );
    expect(await page.textContent('#top-keys')).toContain('Social, "EMEA"');
    expect(await shownBudgets()).toEqual(budgetBars(await api('/admin/usage/budgets')));
  });

  it('downloads exactly what the chart shows as CSV', async () => {
    const { rows } = await api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=day,team`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    expect(download.suggestedFilename()).toBe(`usage-${FROM}-to-${TO}.csv`);
    const lines = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe('day,team,credits,charged,settlements,refunds,overrunCredits');
    expect(lines.slice(1)).toEqual(
      rows.map((r: Record<string, unknown>) =>
        [r.day, r.team, r.credits, r.charged, r.settlements, r.refunds, r.overrunCredits].join(','),
      ),
    );
  });

  it('shows a usage:read key its own team only: totals, chart, keys and budgets', async () => {
    await page.click('#sign-out');
    await signIn(marketingUsageKey);
    await showRange();
    expect(await page.textContent('#reach')).toBe('Team marketing');
    const byDay = await api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=day,team`, marketingUsageKey);
    const everyTeam = await api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=team`);
    expect(byDay.totals.credits).toBeGreaterThan(0);
    expect(byDay.totals.credits).toBeLessThan(everyTeam.totals.credits);
    expect(Number((await page.textContent('#total-credits'))!.replaceAll(',', ''))).toBe(byDay.totals.credits);

    const chart = await chartData();
    expect(chart.datasets.map((d) => d.label)).toEqual(['marketing']);
    for (const row of byDay.rows) expect(chart.datasets[0]!.data[DAYS.indexOf(row.day)]).toBe(row.credits);

    const byKey = await api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=team,key`, marketingUsageKey);
    expect(new Set(byKey.rows.map((row: { team: string }) => row.team))).toEqual(new Set(['marketing']));
    expect((await shownKeys()).map((row) => row.key).sort()).toEqual(
      byKey.rows.map((row: { key: string }) => row.key).sort(),
    );
    expect(await page.textContent('#top-keys')).not.toContain('Figma plugin');

    const budgets = await api('/admin/usage/budgets', marketingUsageKey);
    expect(budgets.teams.map((team: { id: string }) => team.id)).toEqual(['marketing']);
    expect(await shownBudgets()).toEqual(budgetBars(budgets));
    expect(await page.textContent('#budgets')).not.toContain('Design');
  });

  it('serves the page under a strict Content-Security-Policy', async () => {
    const response = await gw.inject({ method: 'GET', url: '/dashboard/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect((await gw.inject({ method: 'GET', url: '/dashboard/vendor/chart.umd.js' })).statusCode).toBe(200);
  });
});
