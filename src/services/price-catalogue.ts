// Apiframe's prices, from its model catalogue: read at start and every refresh period, kept in
// the store as the last good copy (so instances price alike, and one restarting while Apiframe
// is unreachable prices by the copy), and combined with the operator's rules, which win. A
// request priced before any catalogue is known waits for the first read, boundedly; after that
// a model the operator did not price is 503 pricing unavailable, never a guessed price.
import { Value } from '@sinclair/typebox/value';
import { parseJson } from '../domain/jobs.js';
import { catalogueRule, type PriceRule } from '../domain/pricing.js';
import { ApiframeModelCatalog, type ApiframeModelEntry } from '../schemas/models.js';
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
  /** How long a request priced before the first read may wait for it. */
  firstReadWaitMs: number;
}

export interface PriceCatalogue extends PriceSource {
  /** The catalogue's entries as last read; null while none is known. */
  entries(): Promise<readonly ApiframeModelEntry[] | null>;
  start(): void;
  stop(): void;
}

interface Known {
  entries: readonly ApiframeModelEntry[];
  rules: ReadonlyMap<string, PriceRule>;
  fetchedAt: number;
}

/** A stored or fetched catalogue's entries, or null when it is not of the spec's shape. */
function parseCatalogue(body: string): readonly ApiframeModelEntry[] | null {
  const catalogue = parseJson(body);
  return Value.Check(ApiframeModelCatalog, catalogue) ? catalogue.models : null;
}

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
  if (response.status !== 200 || !parseCatalogue(response.body)) {
    logger.warn({ status: response.status }, "Apiframe's model catalogue could not be read: prices kept as they were");
    return null;
  }
  return { body: response.body, fetchedAt: clock() };
}

export function createPriceCatalogue(deps: PriceCatalogueDeps): PriceCatalogue {
  const { store, operator, logger } = deps;
  let known: Known | null = null;
  let firstRead: Promise<void> | null = null;
  let timer: NodeJS.Timeout | undefined;

  function adopt(catalogue: StoredCatalogue): boolean {
    const entries = parseCatalogue(catalogue.body);
    if (!entries || (known && known.fetchedAt >= catalogue.fetchedAt)) return false;
    known = { entries, rules: rulesOf(entries), fetchedAt: catalogue.fetchedAt };
    return true;
  }

  /** Reads Apiframe's catalogue and keeps it; takes the kept copy when Apiframe fails or another read is newer. */
  async function refresh(): Promise<void> {
    try {
      const fetched = await fetchFromApiframe(deps).catch((error: unknown) => {
        logger.warn({ err: error }, "Apiframe's model catalogue could not be read: prices kept as they were");
        return null;
      });
      if (fetched && (await store.keepCatalogue(fetched))) {
        adopt(fetched);
        return;
      }
      const kept = await store.keptCatalogue();
      if (kept) adopt(kept);
    } catch (error) {
      logger.warn({ err: error }, 'the kept model catalogue could not be read or stored');
    }
  }

  /** The copy kept first (quick, and all there is while Apiframe is unreachable), then Apiframe's. */
  function readFirst(): Promise<void> {
    firstRead ??= (async () => {
      const kept = await store.keptCatalogue().catch(() => null);
      if (kept) adopt(kept);
      await refresh();
    })();
    return firstRead;
  }

  async function waitForFirstRead(): Promise<void> {
    if (known) return;
    let timeout: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timeout = setTimeout(resolve, deps.firstReadWaitMs);
    });
    await Promise.race([readFirst(), waited]);
    clearTimeout(timeout);
  }

  return {
    async current(): Promise<Prices> {
      await waitForFirstRead();
      return pricesOf(operator, known?.rules ?? null);
    },
    async entries() {
      await waitForFirstRead();
      return known?.entries ?? null;
    },
    start() {
      void readFirst();
      timer ??= setInterval(() => void refresh(), deps.refreshMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
