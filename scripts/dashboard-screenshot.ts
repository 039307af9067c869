// `npm run screenshot`: seeds a gateway (embedded store, simulator) with three weeks of usage on
// two models and saves docs/dashboard.png (SCREENSHOT_PATH to write elsewhere) from Debian's
// headless Chromium (CHROMIUM_PATH to override), showing the month to its end: the team table
// and the forecast to the month's end.
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startSimulator } from '../src/simulator/simulator.js';
import { seedUsage } from './seed-usage.js';

const output = process.env.SCREENSHOT_PATH ?? 'docs/dashboard.png';
const upstreamKey = `afk_screenshot_${randomBytes(8).toString('hex')}`;
const adminToken = randomBytes(24).toString('base64url');
const days = Array.from({ length: 21 }, (_, i) => new Date(Date.UTC(2026, 10, 3 + i)).toISOString().slice(0, 10));
const monthEnd = '2026-11-30';
const prices = { 'seedream-4': 3, midjourney: 5 };
let now = Date.now();

const simulator = await startSimulator({ apiKey: upstreamKey, jobDurationMs: 0, prices });
const config = loadConfig({
  APIFRAME_API_KEY: upstreamKey,
  APIFRAME_BASE_URL: simulator.url,
  ADMIN_TOKEN: adminToken,
  PRICING: JSON.stringify(prices),
  LOG_LEVEL: 'silent',
  // Seeding weeks of usage keeps the event loop busy on purpose: shedding load would refuse the seed.
  MAX_EVENT_LOOP_DELAY_MS: '0',
});
const app = await buildApp(config, { clock: () => now, reconcile: false });
const { usageKey, jobs } = await seedUsage(app, {
  adminToken,
  days,
  models: ['seedream-4', 'midjourney'],
  setTime: (iso) => (now = Date.parse(iso)),
});
// Design's budget tightened after the fact, so the picture shows a team heading past its budget.
await app.inject({
  method: 'PATCH',
  url: '/admin/teams/design',
  headers: { authorization: `Bearer ${adminToken}` },
  payload: { budget: { credits: 340, period: 'month' } },
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 1040 } });
await page.goto(`${url}/dashboard/`);
await page.fill('#token', usageKey);
await page.click('#sign-in button[type=submit]');
await page.fill('#from', days[0]!);
await page.fill('#to', monthEnd);
await page.click('#range button[type=submit]');
await page.waitForSelector(`body[data-loaded="${days[0]}..${monthEnd}"]`);
await page.screenshot({ path: output, fullPage: true });
await browser.close();
await app.close();
await simulator.close();
process.stdout.write(`${output} written (${jobs} seeded jobs over ${days.length} days)\n`);
