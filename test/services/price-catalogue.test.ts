// Apiframe's catalogue prices: read at start, kept in the store as the last good copy, used by a
// restart while Apiframe is unreachable, refreshed, overridden by the operator's rules; with no
// catalogue at all, or one past its maximum age, a model the operator did not price is
// unavailable, never guessed, and the catalogue is read again with backoff; an entry the gateway
// cannot read is skipped, never the whole catalogue.
import { afterEach, describe, expect, it } from 'vitest';
import { createPriceCatalogue, type PriceCatalogueDeps } from '../../src/services/price-catalogue.js';
import { createMemoryPriceCatalogue } from '../../src/services/store/prices/memory.js';
import type { UpstreamResponse } from '../../src/services/upstream.js';

const entry = (id: string, pricingMode: string, costMax: number) => ({
  id,
  label: id,
  modality: 'video',
  pricingMode,
  costMin: 1,
  costMax,
});
const answer = (models: unknown[]): UpstreamResponse =>
  ({ status: 200, body: JSON.stringify({ models }), retryAfter: undefined }) as UpstreamResponse;

let now = 1_000;
const started: { stop(): void }[] = [];
afterEach(() => {
  for (const catalogue of started.splice(0)) catalogue.stop();
});

function catalogueWith(upstream: () => Promise<UpstreamResponse>, overrides: Partial<PriceCatalogueDeps> = {}) {
  const catalogue = createPriceCatalogue({
    upstream: { listModels: upstream },
    store: createMemoryPriceCatalogue(),
    operator: { rules: {}, ceilings: {} },
    clock: () => now++,
    logger: { warn: () => undefined, error: () => undefined },
    refreshMs: 3_600_000,
    maxAgeMs: 86_400_000,
    firstReadWaitMs: 200,
    ...overrides,
  });
  started.push(catalogue);
  return catalogue;
}

describe('the price catalogue', () => {
  it('prices by the catalogue’s costMax and mode, and keeps the copy for other instances', async () => {
    const store = createMemoryPriceCatalogue();
    const catalogue = catalogueWith(async () => answer([entry('kling-2.6', 'per-second', 7)]), { store });
    const prices = await catalogue.current();
    expect(prices.rule('kling-2.6')).toEqual({ mode: 'per-second', credits: 7, source: 'catalogue' });
    expect(prices.rule('sora-2')).toBeUndefined();
    expect(prices.complete).toBe(true);
    expect(JSON.parse((await store.keptCatalogue())!.body).models[0].id).toBe('kling-2.6');
  });

  it('lets the operator’s rules win, with its ceilings on the catalogue’s rules', async () => {
    const operator = {
      rules: { 'kling-2.6': { mode: 'flat' as const, credits: 50, source: 'operator' as const } },
      ceilings: { 'topaz-video-upscale': { maxSeconds: 60 } },
    };
    const models = [entry('kling-2.6', 'per-second', 7), entry('topaz-video-upscale', 'per-second', 4)];
    const prices = await catalogueWith(async () => answer(models), { operator }).current();
    expect(prices.rule('kling-2.6')).toEqual(operator.rules['kling-2.6']);
    expect(prices.rule('topaz-video-upscale')).toMatchObject({ source: 'catalogue', maxSeconds: 60 });
  });

  it('uses the kept copy when restarted while Apiframe is unreachable', async () => {
    const store = createMemoryPriceCatalogue();
    await store.keepCatalogue({
      body: JSON.stringify({ models: [entry('kling-2.6', 'per-second', 7)] }),
      fetchedAt: 5,
    });
    const prices = await catalogueWith(() => Promise.reject(new Error('connect ECONNREFUSED')), { store }).current();
    expect(prices.rule('kling-2.6')).toMatchObject({ credits: 7 });
    expect(prices.complete).toBe(true);
  });

  it('says prices are unavailable when neither Apiframe nor the store has a catalogue', async () => {
    const refused = { status: 502, body: 'bad gateway', retryAfter: undefined } as UpstreamResponse;
    const operator = {
      rules: { suno: { mode: 'flat' as const, credits: 6, source: 'operator' as const } },
      ceilings: {},
    };
    const prices = await catalogueWith(async () => refused, { operator }).current();
    expect(prices.complete).toBe(false);
    expect(prices.rule('kling-2.6')).toBeUndefined();
    expect(prices.rule('suno')).toMatchObject({ credits: 6 });
  });

  it('does not wait for ever for a first read that hangs', async () => {
    const catalogue = catalogueWith(() => new Promise<UpstreamResponse>(() => undefined), { firstReadWaitMs: 50 });
    const before = Date.now();
    expect((await catalogue.current()).complete).toBe(false);
    expect(Date.now() - before).toBeLessThan(1_000);
  });

  it('refreshes every period, keeping the last good catalogue when a read fails', async () => {
    const replies = [
      answer([entry('kling-2.6', 'per-second', 7)]),
      { status: 500, body: '', retryAfter: undefined } as UpstreamResponse,
      answer([entry('kling-2.6', 'per-second', 9)]),
    ];
    let reads = 0;
    const catalogue = catalogueWith(async () => replies[Math.min(reads++, 2)]!, { refreshMs: 20 });
    catalogue.start();
    expect((await catalogue.current()).rule('kling-2.6')).toMatchObject({ credits: 7 });
    await expect.poll(() => reads).toBeGreaterThanOrEqual(2);
    if (reads === 2) expect((await catalogue.current()).rule('kling-2.6')).toMatchObject({ credits: 7 });
    await expect.poll(async () => (await catalogue.current()).rule('kling-2.6')?.credits).toBe(9);
  });

  it('skips the entries it cannot read, naming them, and prices by the others', async () => {
    const warnings: unknown[] = [];
    const logger = { warn: (fields: unknown) => void warnings.push(fields), error: () => undefined };
    const models = [entry('kling-2.6', 'per-second', 7), entry('kling-3', 'per-token', 2), { label: 'no id' }];
    const catalogue = catalogueWith(async () => answer(models), { logger });
    const prices = await catalogue.current();
    expect(prices.complete).toBe(true);
    expect(prices.rule('kling-2.6')).toMatchObject({ credits: 7 });
    expect(prices.rule('kling-3')).toBeUndefined();
    expect(catalogue.skippedEntries()).toBe(2);
    expect(warnings).toContainEqual({ skipped: ['kling-3', '#2'] });
  });

  it('reads again with backoff while no catalogue is known, rather than at the next period', async () => {
    let reads = 0;
    const catalogue = catalogueWith(
      async () =>
        ++reads < 3 ? Promise.reject(new Error('connect ECONNREFUSED')) : answer([entry('sora-2', 'flat', 9)]),
      { retryMs: 10 },
    );
    catalogue.start();
    await expect.poll(async () => (await catalogue.current()).complete, { timeout: 2_000 }).toBe(true);
    expect((await catalogue.current()).rule('sora-2')).toMatchObject({ credits: 9 });
    expect(reads).toBe(3);
  });

  it('prices nothing by a catalogue past its maximum age, kept or read, and reads again until a fresh one comes', async () => {
    const store = createMemoryPriceCatalogue();
    await store.keepCatalogue({
      body: JSON.stringify({ models: [entry('kling-2.6', 'per-second', 7)] }),
      fetchedAt: now,
    });
    now += 10_000;
    let reachable = false;
    const operator = {
      rules: { suno: { mode: 'flat' as const, credits: 6, source: 'operator' as const } },
      ceilings: {},
    };
    const catalogue = catalogueWith(
      async () => (reachable ? answer([entry('kling-2.6', 'per-second', 8)]) : Promise.reject(new Error('down'))),
      { store, operator, maxAgeMs: 5_000, retryMs: 10 },
    );
    const stale = await catalogue.current();
    expect(stale.complete).toBe(false);
    expect(stale.rule('kling-2.6')).toBeUndefined();
    expect(stale.rule('suno')).toMatchObject({ credits: 6 });
    expect(catalogue.ageSeconds()).toBeGreaterThanOrEqual(10);

    catalogue.start();
    reachable = true;
    await expect.poll(async () => (await catalogue.current()).rule('kling-2.6')?.credits, { timeout: 2_000 }).toBe(8);
    expect(catalogue.ageSeconds()).toBeLessThan(5);

    now += 10_000;
    reachable = false;
    expect((await catalogue.current()).complete).toBe(false);
  });

  it('says how old the catalogue is: infinite while none is known', async () => {
    const catalogue = catalogueWith(async () => answer([entry('kling-2.6', 'per-second', 7)]));
    expect(catalogue.ageSeconds()).toBe(Number.POSITIVE_INFINITY);
    await catalogue.current();
    now += 3_000;
    expect(catalogue.ageSeconds()).toBeGreaterThanOrEqual(3);
    expect(catalogue.ageSeconds()).toBeLessThan(4);
  });
});
