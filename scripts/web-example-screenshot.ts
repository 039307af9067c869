// `npm run screenshot:web`: the web example (examples/web) after a completed job, saved as
// docs/web-example.png (SCREENSHOT_PATH to write elsewhere) from Debian's headless Chromium
// (CHROMIUM_PATH to override). The gateway runs on its embedded store before the simulator; the
// simulator's result URLs name a CDN that does not exist, so the browser is answered a drawing.
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startSimulator } from '../src/simulator/simulator.js';
import { startWebExample } from './web-example.js';

const output = process.env.SCREENSHOT_PATH ?? 'docs/web-example.png';
const upstreamKey = `afk_screenshot_${randomBytes(8).toString('hex')}`;
const adminToken = randomBytes(24).toString('base64url');

const simulator = await startSimulator({ apiKey: upstreamKey, jobDurationMs: 2_500, prices: { 'seedream-4': 3 } });
const config = loadConfig({
  APIFRAME_API_KEY: upstreamKey,
  APIFRAME_BASE_URL: simulator.url,
  ADMIN_TOKEN: adminToken,
  LOG_LEVEL: 'silent',
  MAX_EVENT_LOOP_DELAY_MS: '0',
});
const app = await buildApp(config);
const gatewayUrl = await app.listen({ port: 0, host: '127.0.0.1' });
const created = await app.inject({
  method: 'POST',
  url: '/admin/keys',
  headers: { authorization: `Bearer ${adminToken}` },
  payload: { name: 'web example backend', team: 'web', scopes: ['keys:mint'] },
});
const example = await startWebExample({ gatewayUrl, serverKey: created.json<{ key: string }>().key });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const page = await browser.newPage({ viewport: { width: 900, height: 820 } });
await page.route('https://cdn.simulator.invalid/**', (route) =>
  route.fulfill({ contentType: 'image/svg+xml', body: blueprint() }),
);
await page.goto(example.url);
await page.waitForSelector('body[data-state="ready"]');
await page.click('#generate button');
await page.waitForSelector('body[data-state="completed"]', { timeout: 20_000 });
// The picture is in before the screenshot is taken.
await page.locator('#result img').evaluate((image) => (image as unknown as { decode(): Promise<void> }).decode());
await page.screenshot({ path: output, fullPage: true });
await browser.close();
await example.close();
await app.close();
await simulator.close();
process.stdout.write(`${output} written\n`);

/** A blueprint of a glass house, standing in for the picture the simulated job "made". */
function blueprint(): string {
  const grid = Array.from({ length: 31 }, (_, i) => i * 40)
    .map((at) => `<path d="M${at} 0V720M0 ${at}H1280" stroke="#5d8fd6" stroke-opacity=".35"/>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1280 720">
<rect width="1280" height="720" fill="#1c4c96"/>${grid}
<g fill="none" stroke="#eaf2ff" stroke-width="4">
<path d="M260 560H1020M300 560V330H980V560M300 330L520 220H980V330"/>
<path d="M360 560V380H620V560M680 400H920V520H680Z M490 380V560M800 400V520"/>
<path d="M220 600H1060" stroke-dasharray="14 10"/>
</g>
<text x="1000" y="660" fill="#eaf2ff" font-family="monospace" font-size="24">GLASS HOUSE · A-01</text>
</svg>`;
}
