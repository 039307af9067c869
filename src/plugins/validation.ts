// Validation wiring. Bodies are checked strictly (no coercion, unknown fields rejected, every
// error reported); query strings and path parameters are coerced from text. Ajv's errors become
// Apiframe's `details`: messages keyed by the JSON path of the field (`$` is the whole body).
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import fp from 'fastify-plugin';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function createAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes: coerce ? 'array' : false,
    useDefaults: coerce,
    removeAdditional: false,
    verbose: true,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

export const strictValidation = fp(
  async (app) => {
    const bodies = createAjv(false);
    const textParts = createAjv(true);
    app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodies : textParts).compile(schema));
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
  return segments.length > 0 ? segments.join('.') : '$';
}

/** Drops the noise of nullable fields (`anyOf [T, null]`): the branch for T says what is wrong. */
function meaningful(validation: ErrorObject[]): ErrorObject[] {
  const kept = validation.filter(
    (error) =>
      error.keyword !== 'anyOf' && !(error.keyword === 'type' && (error.params as { type?: string }).type === 'null'),
  );
  return kept.length > 0 ? kept : validation;
}

export function validationDetails(validation: ErrorObject[]): Record<string, string[]> {
  // A Map, because paths are the caller's field names: `toString` or `__proto__` included.
  const details = new Map<string, string[]>();
  for (const error of meaningful(validation)) {
    const path = pathOf(error);
    const message = describe(error);
    const messages = details.get(path) ?? [];
    if (!messages.includes(message)) details.set(path, [...messages, message]);
  }
  return Object.fromEntries(details);
}
