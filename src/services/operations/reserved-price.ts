// The credits a spec operation reserves for one body: the rule in force for its model or action
// bounds the job by what the body asks for (its length, its count). A name without a rule is a
// 400 naming the missing price, or a 503 while Apiframe's catalogue of prices cannot be read; a
// rule that cannot bound the body is a 400 naming the setting the operator must add.
import { type MissingSetting, type PriceRule, upperBound } from '../../domain/pricing.js';
import { type BranchUnits, requestUnits } from '../../domain/request-units.js';
import { errors, withExtras } from '../../errors.js';
import type { Prices } from '../job-operation.js';

export interface PricedBranch {
  /** The name the branch is priced under (`kling-2.1`, `midjourney:upsample`). */
  name: string;
  units: BranchUnits;
}

/** Every name of the operation (for the priced choices a refusal lists) and the body's tag. */
export interface PricedOperation {
  names: readonly string[];
  tag: string;
}

const UNIT_OF: Record<MissingSetting, string> = {
  maxSeconds: 'length in seconds',
  maxOutputs: 'number of outputs',
  maxMegapixels: 'size in megapixels',
  'operator price': 'size (it depends on the input)',
};

function unpriced(prices: Prices, name: string, { names, tag }: PricedOperation): Error {
  if (!prices.complete) {
    return withExtras(new errors.PricingUnavailable(), {
      details: {
        $: [
          `${name}: Apiframe's catalogue of prices cannot be read now (none read within CATALOGUE_MAX_AGE_MS) ` +
            'and the operator set no price',
        ],
      },
    });
  }
  const priced = names.filter((candidate) => prices.rule(candidate) !== undefined);
  return withExtras(new errors.PriceMissing(), {
    details: {
      [tag]: [priced.length > 0 ? `must be one of: ${priced.join(', ')}` : 'none is priced on this gateway'],
      $: [
        `${name} has no price on this gateway: the gateway operator must set one ` +
          '(PRICING_FILE, or PRICING for a flat price) before it can run',
      ],
    },
  });
}

function unbounded(name: string, rule: PriceRule, missing: MissingSetting): Error {
  const setting = missing === 'operator price' ? 'a price of its own' : missing;
  return withExtras(new errors.PriceMissing(), {
    details: {
      $: [
        `${name} is priced ${rule.mode} (${rule.source}) but the request does not say its ${UNIT_OF[missing]}: ` +
          `the gateway operator must set ${setting} for it (PRICING_FILE) before it can run`,
      ],
    },
  });
}

/** The whole credits to reserve for `body` of `branch`; throws the refusal when it cannot be priced. */
export function reservedPrice(prices: Prices, branch: PricedBranch, operation: PricedOperation, body: unknown): number {
  const rule = prices.rule(branch.name);
  if (!rule) throw unpriced(prices, branch.name, operation);
  const bound = upperBound(rule, requestUnits(branch.units, body));
  if ('missing' in bound) throw unbounded(branch.name, rule, bound.missing);
  return bound.credits;
}
