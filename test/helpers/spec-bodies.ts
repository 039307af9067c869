// Bodies built from Apiframe's spec (the committed copy), for tests that drive every branch of
// every job-submitting operation: the smallest body a branch accepts, and a body that another
// branch accepts but this one does not.
import { randomUUID } from 'node:crypto';
import type { ApiframeJobOperation, JsonSchema } from '../../src/schemas/apiframe-spec.js';

type Schema = JsonSchema & {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  minItems?: number;
};

function minimalString(schema: Schema): string {
  if (schema.format === 'uri') return 'https://example.com/input.png';
  if (schema.format === 'uuid') return randomUUID();
  if (schema.format === 'date-time') return new Date(0).toISOString();
  if (schema.format === 'email') return 'someone@example.com';
  return 'a lighthouse at dusk'.padEnd(schema.minLength ?? 0, '.');
}

/** The smallest value `schema` accepts: required fields only, first choices, lowest numbers. */
export function minimalValue(schema: Schema): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices) return minimalValue(choices[0]!);
  switch (schema.type) {
    case 'object':
      return Object.fromEntries((schema.required ?? []).map((name) => [name, minimalValue(schema.properties![name]!)]));
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => minimalValue(schema.items!));
    case 'string':
      return minimalString(schema);
    case 'number':
    case 'integer':
      return schema.minimum ?? (schema.exclusiveMinimum === undefined ? 1 : schema.exclusiveMinimum + 1);
    case 'boolean':
      return false;
    default:
      return null;
  }
}

/** The smallest body of each branch of `operation`, by its tag's value. */
export function minimalBodies(operation: ApiframeJobOperation): Map<string, Record<string, unknown>> {
  return new Map(
    [...operation.branches].map(([value, branch]) => [
      value,
      minimalValue(branch as Schema) as Record<string, unknown>,
    ]),
  );
}

/**
 * A body of one branch that another branch of the same operation refuses: the first branch's
 * smallest body with a field the second does not know, under the second's tag. Null when every
 * branch knows the same fields.
 */
export function bodyOfAnotherBranch(
  operation: ApiframeJobOperation,
): { body: Record<string, unknown>; field: string } | null {
  const branches = [...operation.branches] as [string, Schema][];
  for (const [value, branch] of branches) {
    for (const [otherValue, other] of branches) {
      const field = Object.keys(branch.properties ?? {}).find((name) => !(name in (other.properties ?? {})));
      if (otherValue === value || field === undefined) continue;
      const body = { ...(minimalValue(branch) as object), [field]: minimalValue(branch.properties![field]!) };
      return { body: { ...body, [operation.tag]: otherValue }, field };
    }
  }
  return null;
}
