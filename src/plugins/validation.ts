// Validation wiring. Bodies are checked strictly (no coercion, unknown fields rejected, every
// error reported), Apiframe's discriminated bodies against the branch their model or action
// picks; query strings and path parameters are coerced from text. Ajv's errors become
// Apiframe's `details`: messages keyed by the JSON path of the field (`$` is the whole body).
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import fp from 'fastify-plugin';
import { tagValues, withSharedRules } from './discriminated-bodies.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function createAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes: coerce ? 'array' : false,
    useDefaults: coerce,
    removeAdditional: false,
    verbose: true,
    strict: false,
    discriminator: !coerce,
  });
  addFormats(ajv);
  return ajv;
}

const anyBody = () => true;

/** `checkBodies: false` is BENCH_WITHOUT=validation: bodies pass unchecked (never in production). */
export const strictValidation = fp<{ checkBodies: boolean }>(
  async (app, { checkBodies }) => {
    const bodies = createAjv(false);
    const textParts = createAjv(true);
    app.setValidatorCompiler(({ schema, httpPart }) => {
      if (httpPart !== 'body') return textParts.compile(schema);
      return checkBodies ? bodies.compile(withSharedRules(schema as Record<string, unknown>)) : anyBody;
    });
  },
  { name: 'strict-validation', fastify: '5.x' },
);

function describe(error: ErrorObject): string {
  const custom = (error.parentSchema as { errorMessage?: unknown } | undefined)?.errorMessage;
  if (typeof custom === 'string') return custom;
  switch (error.keyword) {
    case 'additionalProperties':
      return 'is not a recognised field';
    case 'required':
      return 'is required';
    case 'enum':
      return `must be one of: ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    case 'discriminator': {
      const { error: problem, tag } = error.params as { error: string; tag: string };
      if (problem === 'tag') return 'must be string';
      return `must be one of: ${tagValues(error.parentSchema, tag).join(', ')}`;
    }
    default:
      return error.message ?? 'is invalid';
  }
}

function pathOf(error: ErrorObject): string {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = error.params as { additionalProperty?: string; missingProperty?: string };
  if (error.keyword === 'additionalProperties' && params.additionalProperty) segments.push(params.additionalProperty);
  if (error.keyword === 'required' && params.missingProperty) segments.push(params.missingProperty);
  if (error.keyword === 'discriminator') segments.push((error.params as { tag: string }).tag);
  return segments.length > 0 ? segments.join('.') : '$';
}

/**
 * Drops the noise of nullable fields (`anyOf [T, null]`): the branch for T says what is wrong;
 * of a missing discriminating field, which `required` reports; and of `if`, whose `else` says.
 */
function meaningful(validation: ErrorObject[]): ErrorObject[] {
  const kept = validation.filter(
    (error) =>
      error.keyword !== 'anyOf' &&
      error.keyword !== 'if' &&
      !(error.keyword === 'type' && (error.params as { type?: string }).type === 'null') &&
      !(error.keyword === 'discriminator' && (error.params as { tagValue?: unknown }).tagValue === undefined),
  );
  return kept.length > 0 ? kept : validation;
}

/** One "must be one of" per field: the choices of `anyOf [{enum: [1]}, {enum: [2]}]` together. */
function mergedEnums(validation: ErrorObject[]): ErrorObject[] {
  const byPath = new Map<string, ErrorObject>();
  return validation.flatMap((error) => {
    if (error.keyword !== 'enum') return [error];
    const values = (error.params as { allowedValues: unknown[] }).allowedValues;
    const earlier = byPath.get(error.instancePath);
    if (!earlier) {
      const merged = { ...error, params: { allowedValues: [...values] } };
      byPath.set(error.instancePath, merged);
      return [merged];
    }
    const allowed = (earlier.params as { allowedValues: unknown[] }).allowedValues;
    allowed.push(...values.filter((value) => !allowed.includes(value)));
    return [];
  });
}

export function validationDetails(validation: ErrorObject[]): Record<string, string[]> {
  // A Map, because paths are the caller's field names: `toString` or `__proto__` included.
  const details = new Map<string, string[]>();
  for (const error of mergedEnums(meaningful(validation))) {
    const path = pathOf(error);
    const message = describe(error);
    const messages = details.get(path) ?? [];
    if (!messages.includes(message)) details.set(path, [...messages, message]);
  }
  return Object.fromEntries(details);
}
