// Apiframe's public model catalogue as the gateway offers it: only the models it enables and prices
// (by the operator's rules or the catalogue's own; for a key with allowedModels, only those), each
// with the gateway's price rule. The whole catalogue is
// fetched at most once a minute per instance (one fetch at a time) and filtered here, so every
// modality and key shares that one read. An answer that is no catalogue is a 502, never guessed at;
// an entry the gateway cannot read (a modality or pricing mode newer than its copy of the spec) is
// left out, as the price catalogue leaves it unpriced, so one new entry never hides every other model.
import { errors } from '../errors.js';
import type { ApiframeModelEntry, Modality, ModelCatalogEntry } from '../schemas/models.js';
import { catalogueEntries } from './catalogue-entries.js';
import type { PriceRule } from '../domain/pricing.js';
import type { Clock } from './clock.js';
import type { PriceSource } from './prices.js';
import { asCallerError, upstreamRefusal } from './upstream-errors.js';
import type { UpstreamClient } from './upstream.js';

export const MODEL_CATALOGUE_CACHE_MS = 60_000;

export interface ModelFilter {
  modality?: Modality;
  /** The key's allowedModels; null or absent: every model the gateway prices. */
  allowedModels?: string[] | null;
}

export interface ModelCatalogue {
  /** The priced models of Apiframe's catalogue that pass `filter`; an Apiframe-shaped 5xx when Apiframe cannot say. */
  list(filter: ModelFilter, requestId: string): Promise<ModelCatalogEntry[]>;
}

export function createModelCatalogue(deps: {
  upstream: UpstreamClient;
  clock: Clock;
  prices: PriceSource;
  /** The models the gateway offers; absent: all. */
  enabledModels?: readonly string[];
}): ModelCatalogue {
  const enabled = deps.enabledModels && new Set(deps.enabledModels);
  let known: { entries: ApiframeModelEntry[]; at: number } | null = null;
  let fetching: Promise<ApiframeModelEntry[]> | null = null;

  async function fetchCatalogue(requestId: string): Promise<ApiframeModelEntry[]> {
    const response = await deps.upstream.listModels(new URLSearchParams(), requestId).catch((error: unknown) => {
      throw asCallerError(error);
    });
    // Nothing of the caller's is sent, so no refusal but Apiframe's 429 is the caller's to see.
    if (response.status !== 200) {
      throw response.status === 429 ? upstreamRefusal(response) : new errors.UpstreamUnavailable();
    }
    const catalogue = catalogueEntries(response.body);
    if (!catalogue) throw new errors.UpstreamUnavailable();
    known = { entries: catalogue.entries, at: deps.clock() };
    return catalogue.entries;
  }

  function current(requestId: string): Promise<ApiframeModelEntry[]> {
    if (known && deps.clock() - known.at < MODEL_CATALOGUE_CACHE_MS) return Promise.resolve(known.entries);
    fetching ??= fetchCatalogue(requestId).finally(() => {
      fetching = null;
    });
    return fetching;
  }

  return {
    async list({ modality, allowedModels }, requestId) {
      const entries = await current(requestId);
      const prices = await deps.prices.current();
      return entries.flatMap((entry) => {
        const rule = prices.rule(entry.id);
        if (!rule || (enabled && !enabled.has(entry.id))) return [];
        if (modality !== undefined && entry.modality !== modality) return [];
        if (allowedModels && !allowedModels.includes(entry.id)) return [];
        return [{ ...entry, gatewayPrice: gatewayPrice(rule) }];
      });
    },
  };
}

/** The rule as GET /v2/models shows it: its mode as `rule`, credits per unit, ceilings and source. */
function gatewayPrice({ mode, credits, source, ...ceilings }: PriceRule) {
  return { credits, rule: mode, source, ...ceilings };
}
