// The set-up the dashboard's and the statement's browser tests share: a gateway on its own
// redis-server and a test clock, seeded with a spread of usage over `days`, listening, and a
// Chromium page; started before the file's tests and stopped after.
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { seedUsage, type Seeded, type SeedOptions } from '../../scripts/seed-usage.js';
import { launchChromium } from './browser.js';
import { ADMIN_TOKEN, startGateway, testClock, type TestGateway } from './gateway.js';
import { startRedis, type RedisServer } from './redis-server.js';

type SeedModel = NonNullable<SeedOptions['models']>[number];

export interface SeededDashboardOptions {
  days: string[];
  /** The models the seeded jobs take turns with and their prices, for the gateway and the simulator. */
  prices?: Partial<Record<SeedModel, number>>;
  /** More usage on top of the seeded spread, before the page opens. */
  beforeOpen?: (gw: TestGateway) => Promise<void>;
  /** The page signed in with the usage:read:all key and showing these dates before the tests. */
  open?: { from: string; to: string };
  /** The page's options over a 1280 × 1000 viewport. */
  page?: (seeded: Seeded) => BrowserContextOptions;
}

export interface SeededDashboard extends Omit<Seeded, 'jobs'> {
  gw: TestGateway;
  browser: Browser;
  page: Page;
  /** Where the gateway listens. */
  url: string;
  /** GET `path` with a usage key (the usage:read:all one by default): the JSON body. */
  // biome-ignore lint/suspicious/noExplicitAny: checked by the assertions
  api(path: string, key?: string): Promise<any>;
  /** Opens the dashboard, signs in with `key` and shows the dates from `from` to `to`. */
  openAs(key: string, from: string, to: string): Promise<void>;
}

export function seededDashboard(options: SeededDashboardOptions): SeededDashboard {
  let redis: RedisServer;
  const context = {
    api: async (path, key = context.usageKey) =>
      (await context.gw.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${key}` } })).json(),
    openAs: async (key, from, to) => {
      await context.page.goto(`${context.url}/dashboard/`);
      await signIn(context.page, key);
      await showDates(context.page, from, to);
    },
  } as SeededDashboard;
  beforeAll(async () => {
    redis = await startRedis();
    const clock = testClock();
    const prices = options.prices && {
      env: { PRICING: JSON.stringify(options.prices) },
      simulator: { prices: options.prices },
    };
    context.gw = await startGateway({ redisUrl: redis.url, clock, ...prices });
    const seeded = await seedUsage(context.gw.app, {
      adminToken: ADMIN_TOKEN,
      setTime: clock.set,
      days: options.days,
      ...(options.prices && { models: Object.keys(options.prices) as SeedModel[] }),
    });
    context.usageKey = seeded.usageKey;
    context.marketingUsageKey = seeded.marketingUsageKey;
    await options.beforeOpen?.(context.gw);
    context.url = await context.gw.app.listen({ port: 0, host: '127.0.0.1' });
    context.browser = await launchChromium();
    context.page = await context.browser.newPage({
      viewport: { width: 1280, height: 1000 },
      ...options.page?.(seeded),
    });
    if (options.open) await context.openAs(context.usageKey, options.open.from, options.open.to);
  }, 60_000);
  afterAll(async () => {
    await context.browser?.close();
    await context.gw.close();
    await redis.destroy();
  });
  return context;
}

/** Signs in on the open dashboard with `key` and waits for the report. */
export async function signIn(page: Page, key: string): Promise<void> {
  await page.fill('#token', key);
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('#report:not([hidden])');
}

/** Shows the dates from `from` to `to` and waits for the page to have loaded them. */
export async function showDates(page: Page, from: string, to: string): Promise<void> {
  await page.fill('#from', from);
  await page.fill('#to', to);
  await page.click('#range button[type=submit]');
  await page.waitForSelector(`body[data-loaded="${from}..${to}"]`);
}
