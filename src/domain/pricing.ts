// The gateway's price rules and the whole-number upper bound a rule sets on one job: the credits
// reserved before it runs. Settlement later charges what the job really cost and releases the
// rest, so a bound may be high but never low: every product is rounded up.

export const PRICE_MODES = ['flat', 'per-second', 'per-output', 'per-megapixel'] as const;
/** `per-megapixel` is the operator's only: Apiframe's catalogue knows the other three. */
export type PriceMode = (typeof PRICE_MODES)[number];

export interface PriceRule {
  mode: PriceMode;
  /** Credits per job, per second, per output or per megapixel (by `mode`). */
  credits: number;
  /** Seconds assumed when the request cannot say (the length of a video to upscale or edit). */
  maxSeconds?: number;
  /** Outputs assumed when the request cannot say (a model whose count is fixed by Apiframe). */
  maxOutputs?: number;
  /** Megapixels assumed for a per-megapixel rule: requests never say theirs. */
  maxMegapixels?: number;
  /** Apiframe's catalogue (its `costMax`) or the operator's PRICING / PRICING_FILE. */
  source: 'catalogue' | 'operator';
}

/** The setting a rule lacks to bound a request, by its name in PRICING_FILE. */
export type MissingSetting = 'maxSeconds' | 'maxOutputs' | 'maxMegapixels' | 'operator price';

/** What a request says about its own size; absent when its body cannot say. */
export interface RequestUnits {
  seconds?: number;
  outputs?: number;
  /** Set for operations priced by their input (its length, its megapixels), which no body states. */
  pricedByInput?: 'seconds' | 'megapixels';
}

export type Bound = { credits: number } | { missing: MissingSetting };

/** A finite, non-negative number as `digits × 10^-scale`, exactly as its shortest decimal form reads. */
function exactDecimal(value: number): { digits: bigint; scale: number } {
  const [mantissa = '', exponent = '0'] = String(value).split('e');
  const [whole = '', fraction = ''] = mantissa.split('.');
  const scale = fraction.length - Number(exponent);
  const digits = BigInt(whole + fraction);
  return scale >= 0 ? { digits, scale } : { digits: digits * 10n ** BigInt(-scale), scale: 0 };
}

/**
 * `price × units`, rounded up to whole credits. The product is taken of the numbers as written
 * (0.7, 10), in exact decimals: a product of binary floats carries noise (0.7 × 10 is
 * 7.000000000000001) that no tolerance can tell from a real fraction (0.6666667 × 3 is 2.0000001).
 */
export function wholeCredits(price: number, units = 1): number {
  const [a, b] = [exactDecimal(price), exactDecimal(units)];
  const divisor = 10n ** BigInt(a.scale + b.scale);
  return Number((a.digits * b.digits + divisor - 1n) / divisor);
}

/** The most credits a job of `rule` with `units` can cost, or the setting the rule lacks to say. */
export function upperBound(rule: PriceRule, units: RequestUnits): Bound {
  if (rule.mode === 'flat' && (rule.source === 'operator' || units.pricedByInput === undefined)) {
    return { credits: wholeCredits(rule.credits) };
  }
  if (rule.mode === 'per-megapixel') {
    return rule.maxMegapixels === undefined
      ? { missing: 'maxMegapixels' }
      : { credits: wholeCredits(rule.credits, rule.maxMegapixels) };
  }
  // Apiframe's catalogue cannot bound what the input decides: a flat catalogue price of an
  // upscale would be a guess, and so would any catalogue rule priced by megapixels.
  if (units.pricedByInput === 'megapixels') return { missing: 'operator price' };
  if (rule.mode === 'per-second') {
    const seconds = units.seconds ?? rule.maxSeconds;
    return seconds === undefined ? { missing: 'maxSeconds' } : { credits: wholeCredits(rule.credits, seconds) };
  }
  if (rule.mode === 'per-output') {
    const outputs = units.outputs ?? rule.maxOutputs;
    return outputs === undefined ? { missing: 'maxOutputs' } : { credits: wholeCredits(rule.credits, outputs) };
  }
  return { missing: 'operator price' };
}

/** One entry of Apiframe's catalogue, as far as prices go. */
export interface CataloguePrice {
  id: string;
  pricingMode?: string;
  costMax?: number;
}

const CATALOGUE_MODES: readonly string[] = ['flat', 'per-second', 'per-output'];

/** The rule Apiframe's catalogue sets for a model: its mode at `costMax`; none without both. */
export function catalogueRule(entry: CataloguePrice): PriceRule | undefined {
  const { pricingMode, costMax } = entry;
  if (!pricingMode || !CATALOGUE_MODES.includes(pricingMode) || costMax === undefined || costMax < 0) return undefined;
  return { mode: pricingMode as PriceMode, credits: costMax, source: 'catalogue' };
}

/** What the operator may set for a model beside (or instead of) a rule: ceilings a rule lacks. */
export type Ceilings = Pick<PriceRule, 'maxSeconds' | 'maxOutputs' | 'maxMegapixels'>;

/** The operator's rule when there is one, else the catalogue's; the ceilings fill what the rule leaves unset. */
export function ruleInForce(
  operator: PriceRule | undefined,
  catalogue: PriceRule | undefined,
  ceilings: Ceilings = {},
): PriceRule | undefined {
  const rule = operator ?? catalogue;
  return rule && { ...ceilings, ...rule };
}
