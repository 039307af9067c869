// The price rules in force: the operator's (PRICING, PRICING_FILE) over those of Apiframe's
// catalogue, with the operator's ceilings filling what a rule leaves unset. A source hands out
// the rules as they are when a request is priced.
import { type Ceilings, type PriceRule, ruleInForce } from '../domain/pricing.js';
import type { Prices } from './job-operation.js';

export interface OperatorPricing {
  /** Rules by model or action name. */
  rules: Readonly<Record<string, PriceRule>>;
  /** Ceilings by model or action name, for whichever rule is in force. */
  ceilings: Readonly<Record<string, Ceilings>>;
}

/** Where the job pipeline gets the rules: waits (boundedly) for the catalogue's first read. */
export interface PriceSource {
  current(): Promise<Prices>;
}

/**
 * The rules of `operator` over `catalogue`. `catalogue` null: Apiframe's prices are in use but
 * unknown, so an unpriced name is unavailable rather than missing; `catalogue` undefined: unused.
 */
export function pricesOf(
  operator: OperatorPricing,
  catalogue: ReadonlyMap<string, PriceRule> | null | undefined,
): Prices {
  return {
    rule: (name) =>
      ruleInForce(
        Object.hasOwn(operator.rules, name) ? operator.rules[name] : undefined,
        catalogue?.get(name),
        Object.hasOwn(operator.ceilings, name) ? operator.ceilings[name] : undefined,
      ),
    complete: catalogue !== null,
  };
}

/** A source of the operator's rules alone (Apiframe's catalogue prices not used). */
export function operatorPriceSource(operator: OperatorPricing): PriceSource {
  const prices = pricesOf(operator, undefined);
  return { current: async () => prices };
}
