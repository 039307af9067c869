// Apiframe's bodies are a `oneOf` picked by one field (`model`, or `action`). Ajv's
// `discriminator` checks a body against the one branch its value picks, so the errors are that
// branch's alone. A body naming no known branch is also checked against what all branches
// share, so that it still hears about its other fields: one that no branch knows, or one that
// no branch would accept as it is (an empty prompt, say).
import { stringify } from 'safe-stable-stringify';

type Schema = Record<string, unknown>;

const propertiesOf = (branch: Schema) => (branch.properties ?? {}) as Record<string, unknown>;

/** A property as any branch accepts it; anything (`{}`) when some branch lacks it. */
function acceptedByAny(schemas: unknown[]): unknown {
  if (schemas.some((schema) => schema === undefined)) return {};
  const distinct = [...new Map(schemas.map((schema) => [stringify(schema), schema])).values()];
  return distinct.length === 1 ? distinct[0] : { anyOf: distinct };
}

/** What every branch requires of a body, whatever its tag (which the discriminator checks). */
function sharedRules(branches: Schema[], tag: string): Schema {
  const names = [...new Set(branches.flatMap((branch) => Object.keys(propertiesOf(branch))))];
  const properties = Object.fromEntries(
    names.map((name) => [
      name,
      name === tag ? {} : acceptedByAny(branches.map((branch) => propertiesOf(branch)[name])),
    ]),
  );
  const required = names.filter((name) =>
    branches.every((branch) => (branch.required as string[] | undefined)?.includes(name)),
  );
  const closed = branches.every((branch) => branch.additionalProperties === false);
  return { type: 'object', properties, required, ...(closed && { additionalProperties: false }) };
}

/** `schema` checking an unknown tag's body against the shared rules, when it is a discriminated `oneOf`. */
export function withSharedRules(schema: Schema): Schema {
  const branches = schema.oneOf as Schema[] | undefined;
  const tag = (schema.discriminator as { propertyName?: string } | undefined)?.propertyName;
  if (!tag || !branches) return schema;
  const known = { properties: { [tag]: { enum: tagValues(schema, tag) } }, required: [tag] };
  return { ...schema, if: known, else: sharedRules(branches, tag) };
}

/** The values a discriminated `oneOf` accepts for its tag, in its order. */
export function tagValues(schema: Schema | undefined, tag: string): string[] {
  const branches = (schema?.oneOf ?? []) as Schema[];
  return branches.flatMap((branch) => {
    const property = propertiesOf(branch)[tag] as { const?: string; enum?: string[] } | undefined;
    return property?.const !== undefined ? [property.const] : (property?.enum ?? []);
  });
}
