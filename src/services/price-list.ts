// The prices the gateway charges, model by model: each offered model or action of Apiframe's spec
// with the rule in force, where it comes from, and what a request naming no length or count
// reserves by it (or the setting the operator must add before it can run).
import { APIFRAME_JOB_OPERATIONS, priceName } from '../schemas/apiframe-spec.js';
import type { PriceListEntry } from '../schemas/prices.js';
import type { JobOperation, Prices } from './job-operation.js';
import type { PriceSource } from './prices.js';

export interface PriceList {
  list(): Promise<PriceListEntry[]>;
}

/** What reserving a body of nothing but its model or action gives: the credits, or why none. */
function exampleBound(operation: JobOperation, body: Record<string, string>, prices: Prices) {
  try {
    return { exampleBound: operation.price(body, prices), unpricedBecause: null };
  } catch (error) {
    const details = (error as { details?: Record<string, string[]> }).details;
    return { exampleBound: null, unpricedBecause: details?.$?.[0] ?? (error as Error).message };
  }
}

export function createPriceList(deps: {
  prices: PriceSource;
  enabledModels: readonly string[];
  operations: readonly JobOperation[];
}): PriceList {
  const enabled = new Set(deps.enabledModels);
  return {
    async list() {
      const prices = await deps.prices.current();
      return APIFRAME_JOB_OPERATIONS.flatMap((spec) => {
        const operation = deps.operations.find((candidate) => candidate.path === spec.path);
        if (!operation) return [];
        return [...spec.branches.keys()].flatMap((value) => {
          const name = priceName(spec, value);
          if (!enabled.has(name)) return [];
          const rule = prices.rule(name) ?? null;
          return [{ name, operation: spec.path, rule, ...exampleBound(operation, { [spec.tag]: value }, prices) }];
        });
      });
    },
  };
}
