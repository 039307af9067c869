// The operator's pricing: PRICING (the short form: whole credits per job by model or action) and
// the PRICING_FILE's JSON (rules, ceilings and which models or modalities are enabled), checked
// once at start (src/config.ts reads the file), and ENABLED_MODELS. Every name must be a model or
// action of Apiframe's spec (a model belongs to one operation only, so its name alone picks it);
// any bad entry is an error naming it.
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Ceilings, PriceRule } from '../domain/pricing.js';
import { Thresholds } from './alert-thresholds.js';
import { APIFRAME_JOB_OPERATIONS, priceName } from './apiframe-spec.js';
import { modalityOf } from './modalities.js';
import { MODALITIES as MODALITY_NAMES } from './models.js';

export class PricingConfigError extends Error {}

const Name = Type.String({ pattern: '^[a-z0-9][a-z0-9._:-]*$' });
const CeilingFields = {
  maxSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  maxOutputs: Type.Optional(Type.Integer({ minimum: 1 })),
  maxMegapixels: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
};
const Rule = Type.Object(
  {
    mode: Type.Union(['flat', 'per-second', 'per-output', 'per-megapixel'].map((mode) => Type.Literal(mode))),
    credits: Type.Number({ minimum: 0 }),
    ...CeilingFields,
  },
  { additionalProperties: false },
);

export const PricingFileSchema = Type.Object(
  {
    /** By model or action: a rule, or whole credits for a flat one. */
    rules: Type.Optional(Type.Record(Name, Type.Union([Type.Integer({ minimum: 0 }), Rule]))),
    /** By model or action: ceilings for whichever rule is in force (the catalogue's, say). */
    ceilings: Type.Optional(Type.Record(Name, Type.Object(CeilingFields, { additionalProperties: false }))),
    /** Models or modalities (`image`, `video`, `music`) offered; absent: all. */
    enabled: Type.Optional(Type.Array(Name)),
    /** Models or modalities withheld, even when enabled. */
    disabled: Type.Optional(Type.Array(Name)),
    /** Budget alert thresholds of every team and key that sets none (wins over ALERT_THRESHOLDS). */
    alertThresholds: Type.Optional(Thresholds),
  },
  { additionalProperties: false },
);
export type PricingFile = Static<typeof PricingFileSchema>;

export interface OperatorPricingConfig {
  rules: Readonly<Record<string, PriceRule>>;
  ceilings: Readonly<Record<string, Ceilings>>;
  /** Every model and action the gateway offers, in the spec's order. */
  enabledModels: readonly string[];
  /** The file's default alert thresholds, when it names them. */
  alertThresholds?: readonly number[];
}

/** Every model and action of the spec, with its modality. */
const SPEC_NAMES: ReadonlyMap<string, string> = new Map(
  APIFRAME_JOB_OPERATIONS.flatMap((operation) =>
    [...operation.branches.keys()].map((value) => {
      const name = priceName(operation, value);
      return [name, modalityOf(name)];
    }),
  ),
);
const MODALITIES: ReadonlySet<string> = new Set(MODALITY_NAMES);

/** The PRICING_FILE as read from disk: its path (for messages) and its text. */
export interface PricingFileText {
  path: string;
  text: string;
}

function parsePricingFile({ path, text }: PricingFileText): PricingFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PricingConfigError(`PRICING_FILE is invalid (${path}: ${(error as Error).message})`);
  }
  const problem = Value.Errors(PricingFileSchema, parsed).First();
  if (problem) {
    const entry = problem.path.slice(1).replaceAll('/', '.') || 'the file';
    throw new PricingConfigError(`PRICING_FILE is invalid (${entry}: ${problem.message})`);
  }
  return parsed as PricingFile;
}

function refuseUnknown(variable: string, names: readonly string[], modalities: boolean): void {
  const unknown = names.filter((name) => !SPEC_NAMES.has(name) && !(modalities && MODALITIES.has(name)));
  if (unknown.length > 0) {
    throw new PricingConfigError(
      `${variable} is invalid (unsupported model ${unknown.join(', ')}; not a model or action of Apiframe's spec ` +
        `in openapi/apiframe/${modalities ? ', nor image, video or music' : ''}, e.g. seedream-4, kling-2.1, midjourney:upsample)`,
    );
  }
}

/** The names a list of models and modalities covers. */
const covered = (list: readonly string[]) => (name: string) =>
  list.includes(name) || list.includes(SPEC_NAMES.get(name)!);

function asRule(rule: number | Static<typeof Rule>): PriceRule {
  return typeof rule === 'number'
    ? { mode: 'flat', credits: rule, source: 'operator' }
    : { ...(rule as Omit<PriceRule, 'source'>), source: 'operator' };
}

/** The operator's pricing from PRICING (already parsed), PRICING_FILE and ENABLED_MODELS; the file wins over PRICING. */
export function operatorPricing(
  pricing: Readonly<Record<string, number>>,
  pricingFile: PricingFileText | undefined,
  enabledModels: string | undefined,
): OperatorPricingConfig {
  const file = pricingFile ? parsePricingFile(pricingFile) : {};
  const enabledByEnv = enabledModels
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  refuseUnknown('PRICING_FILE', [...Object.keys(file.rules ?? {}), ...Object.keys(file.ceilings ?? {})], false);
  refuseUnknown('PRICING_FILE', [...(file.enabled ?? []), ...(file.disabled ?? [])], true);
  refuseUnknown('ENABLED_MODELS', enabledByEnv ?? [], true);
  const lists = [enabledByEnv, file.enabled].filter((list) => list !== undefined);
  const enabled = [...SPEC_NAMES.keys()].filter(
    (name) => lists.every((list) => covered(list)(name)) && !covered(file.disabled ?? [])(name),
  );
  const rules = { ...pricing, ...file.rules };
  return {
    rules: Object.fromEntries(Object.entries(rules).map(([name, rule]) => [name, asRule(rule)])),
    ceilings: file.ceilings ?? {},
    enabledModels: enabled,
    ...(file.alertThresholds && { alertThresholds: file.alertThresholds }),
  };
}
