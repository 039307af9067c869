// An operation whose body names a `model` (every one but the Midjourney and Suno actions): the
// model must be in the catalogue for that operation, the body must carry what the spec's schema
// for the model requires, and the job costs what the catalogue's rule makes of the request —
// `flat` its costMax, `per-second` costMax × the seconds asked for, `per-output` costMax × the
// outputs asked for (each with the model's default when the request leaves it out); with
// `varyCosts`, anywhere from costMin to costMax times that.
import { catalogueEntry } from './model-catalogue.js';
import type { JobTerms, JsonObject, Operation, Refusal } from './simulator-types.js';

export interface ModelRules {
  /** Required strings, by dotted path, with the longest length the spec allows. */
  strings: Record<string, number>;
  /** Required fields, by dotted path, and the values the spec allows for them. */
  choices?: Record<string, readonly (string | number)[]>;
  /** Per-second models: the field that asks for a duration, its allowed values, what is billed when absent. */
  seconds?: { field?: string; allowed: readonly number[]; absent: number };
  /** Per-output models: the field that asks for a count (1 to max), what is billed when absent. */
  outputs?: { field: string; max: number; absent: number };
  /** The COMPLETED job's result; `amount` is the seconds or outputs asked for (1 for others). */
  result(jobId: string, amount: number): unknown;
}

/** A URL on the simulator's pretend CDN. */
export const cdnUrl = (jobId: string, index: number, extension: string) =>
  `https://cdn.simulator.invalid/${jobId}${index ? `-${index}` : ''}.${extension}`;

export function validationFailed(details: Record<string, string[]>): Refusal {
  return { status: 400, body: { error: 'Validation failed', details } };
}

export function valueAt(body: JsonObject, path: string): unknown {
  let value: unknown = body;
  for (const key of path.split('.')) {
    value = typeof value === 'object' && value !== null ? (value as JsonObject)[key] : undefined;
  }
  return value;
}

export function modelOperation(operation: string, rules: Record<string, ModelRules>): Operation {
  return {
    path: `/v2/${operation}`,
    accept(body) {
      const model = body.model;
      const entry = typeof model === 'string' && rules[model] ? catalogueEntry(model, operation) : undefined;
      if (!entry) {
        const known = Object.keys(rules).join(' | ');
        return validationFailed({ model: [`Invalid model for ${operation}. Expected ${known}`] });
      }
      const modelRules = rules[entry.id]!;
      const problems = checkRules(body, modelRules);
      if (Object.keys(problems).length > 0) return validationFailed(problems);
      const seconds = requested(body, modelRules.seconds);
      const outputs = requested(body, modelRules.outputs);
      const amount = entry.pricingMode === 'per-second' ? seconds : entry.pricingMode === 'per-output' ? outputs : 1;
      return {
        model: entry.id,
        priceName: entry.id,
        cost: Math.ceil(entry.costMax * amount),
        leastCost: Math.ceil(entry.costMin * amount),
        result: (jobId: string) => modelRules.result(jobId, modelRules.seconds ? seconds : outputs),
      } satisfies JobTerms;
    },
  };
}

/** The seconds or outputs the body asks for, or what is billed when it does not say; 1 when neither applies. */
function requested(body: JsonObject, rule: { field?: string; absent: number } | undefined): number {
  if (!rule) return 1;
  const value = rule.field === undefined ? undefined : valueAt(body, rule.field);
  return value === undefined ? rule.absent : Number(value);
}

/** What the body lacks or gets wrong, by dotted path, in Apiframe's (Zod's) wording. */
export function checkRules(body: JsonObject, rules: Omit<ModelRules, 'result'>): Record<string, string[]> {
  const problems: Record<string, string[]> = {};
  for (const [path, maxLength] of Object.entries(rules.strings)) {
    const value = valueAt(body, path);
    if (typeof value !== 'string' || value.length === 0) problems[path] = ['Required'];
    else if (value.length > maxLength) problems[path] = [`String must contain at most ${maxLength} character(s)`];
  }
  for (const [path, allowed] of Object.entries(rules.choices ?? {})) {
    if (!allowed.includes(valueAt(body, path) as string)) problems[path] = [`Expected ${allowed.join(' | ')}`];
  }
  const { seconds, outputs } = rules;
  const duration = seconds?.field === undefined ? undefined : valueAt(body, seconds.field);
  if (duration !== undefined && !seconds!.allowed.includes(duration as number)) {
    problems[seconds!.field!] = [`Expected ${seconds!.allowed.join(' | ')}`];
  }
  const count = outputs && valueAt(body, outputs.field);
  if (
    count !== undefined &&
    !(Number.isInteger(count) && (count as number) >= 1 && (count as number) <= outputs!.max)
  ) {
    problems[outputs!.field] = [`Expected an integer from 1 to ${outputs!.max}`];
  }
  return problems;
}
