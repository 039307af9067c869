// Apiframe's prices, from its model catalogue: read at start and every refresh period, kept in
// the store as the last good copy (so instances price alike, and one restarting while Apiframe
// is unreachable prices by the copy), and combined with the operator's rules, which win. While no
// usable catalogue is known (none read yet, or the one known is older than the maximum age) it
// is read again with backoff rather than at the next period, and a model the operator did not
// price is 503 pricing unavailable, never priced by a guess or by numbers too old to trust. A
// request priced before the first read waits for it, boundedly.
import { catalogueRule, type PriceRule } from '../domain/pricing.js';
import type { ApiframeModelEntry } from '../schemas/models.js';
import { catalogueEntries } from './catalogue-entries.js';
import type { Clock } from './clock.js';
import type { Prices } from './job-operation.js';
import type { Logger } from './logger.js';
import { type OperatorPricing, type PriceSource, pricesOf } from './prices.js';
import type { PriceCatalogueRecords, StoredCatalogue } from './store/prices/contract.js';
import type { UpstreamClient } from './upstream.js';

export interface PriceCatalogueDeps {
  upstream: Pick<UpstreamClient, 'listModels'>;
  store: PriceCatalogueRecords;
  operator: OperatorPricing;
  clock: Clock;
  logger: Logger;
  /** How often the catalogue is read again. */
  refreshMs: number;
  /** Age (by when it was read) past which a catalogue no longer prices anything. */
  maxAgeMs: number;
  /** How long a request priced before the first read may wait for it. */
  firstReadWaitMs: number;
  /** The first wait before reading again while no usable catalogue is known, doubled up to refreshMs. */
  retryMs?: number;
}

export interface PriceCatalogue extends PriceSource {
  /** Seconds since the catalogue known was read; Infinity while none is known. */
  ageSeconds(): number;
  /** Entries of the catalogue known that the gateway could not read, so did not price. */
  skippedEntries(): number;
  start(): void;
  stop(): void;
}

interface Known {
  rules: ReadonlyMap<string, PriceRule>;
  skipped: number;
  fetchedAt: number;
}

const FIRST_RETRY_MS = 1_000;

function rulesOf(entries: readonly ApiframeModelEntry[]): ReadonlyMap<string, PriceRule> {
  return new Map(
    entries.flatMap((entry) => {
      const rule = catalogueRule(entry);
      return rule ? [[entry.id, rule] as const] : [];
    }),
  );
}

/** Apiframe's catalogue as read now, or null (logged) when its answer is not a catalogue. */
async function fetchFromApiframe({ upstream, clock, logger }: PriceCatalogueDeps): Promise<StoredCatalogue | null> {
  const response = await upstream.listModels(new URLSearchParams(), `price-catalogue-${clock()}`);
  if (response.status !== 200 || !catalogueEntries(response.body)) {
    logger.warn({ status: response.status }, "Apiframe's model catalogue could not be read: prices kept as they were");
    return null;
  }
  return { body: response.body, fetchedAt: clock() };
}

/** Apiframe's catalogue read now and kept; the kept copy when Apiframe fails or another read is newer. */
async function latestCatalogue(deps: PriceCatalogueDeps): Promise<StoredCatalogue | null> {
  const { store, logger } = deps;
  try {
    const fetched = await fetchFromApiframe(deps).catch((error: unknown) => {
      logger.warn({ err: error }, "Apiframe's model catalogue could not be read: prices kept as they were");
      return null;
    });
    if (fetched && (await store.keepCatalogue(fetched))) return fetched;
    return await store.keptCatalogue();
  } catch (error) {
    logger.warn({ err: error }, 'the kept model catalogue could not be read or stored');
    return null;
  }
}

/** Waits for `promise` at most `ms`. */
async function settledWithin(promise: Promise<void>, ms: number): Promise<void> {
  let timeout: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => {
    timeout = setTimeout(resolve, ms);
  });
  await Promise.race([promise, waited]);
  clearTimeout(timeout);
}

export function createPriceCatalogue(deps: PriceCatalogueDeps): PriceCatalogue {
  const { store, operator, logger, clock } = deps;
  const firstRetryMs = deps.retryMs ?? FIRST_RETRY_MS;
  let known: Known | null = null;
  let reading: Promise<void> | null = null;
  let attempted = false;
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let retryMs = firstRetryMs;

  const usable = (): Known | null => (known && clock() - known.fetchedAt <= deps.maxAgeMs ? known : null);

  function adopt(catalogue: StoredCatalogue): void {
    const read = catalogueEntries(catalogue.body);
    if (!read || (known && known.fetchedAt >= catalogue.fetchedAt)) return;
    if (read.skipped.length > 0) {
      logger.warn({ skipped: read.skipped }, "entries of Apiframe's model catalogue not understood: not priced by it");
    }
    known = { rules: rulesOf(read.entries), skipped: read.skipped.length, fetchedAt: catalogue.fetchedAt };
  }

  /** One read at a time; the first takes the kept copy first (quick, and all there is while Apiframe is down). */
  function read(): Promise<void> {
    reading ??= (async () => {
      if (!attempted) {
        attempted = true;
        const kept = await store.keptCatalogue().catch(() => null);
        if (kept) adopt(kept);
      }
      const latest = await latestCatalogue(deps);
      if (latest) adopt(latest);
    })().finally(() => {
      reading = null;
    });
    return reading;
  }

  /** Reads again after the period, or sooner (backing off) while no usable catalogue is known. */
  async function readAndSchedule(): Promise<void> {
    await read();
    if (!running) return;
    const fresh = usable() !== null;
    const delay = fresh ? deps.refreshMs : retryMs;
    retryMs = fresh ? firstRetryMs : Math.min(retryMs * 2, deps.refreshMs);
    timer = setTimeout(() => void readAndSchedule(), delay).unref();
  }

  return {
    async current(): Promise<Prices> {
      // Waits for the read under way, or the first, which a request may start; the others are the loop's.
      const under = usable() ? null : (reading ?? (attempted ? null : read()));
      if (under) await settledWithin(under, deps.firstReadWaitMs);
      return pricesOf(operator, usable()?.rules ?? null);
    },
    ageSeconds: () => (known ? Math.max(0, clock() - known.fetchedAt) / 1000 : Number.POSITIVE_INFINITY),
    skippedEntries: () => known?.skipped ?? 0,
    start() {
      if (running) return;
      running = true;
      void readAndSchedule();
    },
    stop() {
      running = false;
      clearTimeout(timer);
    },
  };
}
