// Checks an answer against the response schemas of Apiframe's spec (the committed copy), with
// Ajv 2020 and formats: the schema the spec declares for that route and status or, where it
// declares none, its ErrorResponse (such pairs are "undeclared", listed in the README).
import { readFileSync } from 'node:fs';
import spec from '#apiframe-spec' with { type: 'json' };
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

type Responses = Record<string, { content?: Record<string, { schema?: object }> }>;
const PATHS = (spec as unknown as { paths: Record<string, Record<string, { responses?: Responses }>> }).paths;

/** Every route of the spec, as `METHOD /path`. */
export const SPEC_ROUTES: readonly string[] = Object.entries(PATHS).flatMap(([path, methods]) =>
  Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
);

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ allErrors: true, strict: false }));
ajv.addSchema(spec as object, 'apiframe');

const pointer = (...tokens: string[]) =>
  tokens.map((token) => encodeURIComponent(token.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/');

/**
 * The spec's JSON schema for `route` answering `status`, by reference: 'empty' where it declares the
 * status without a body (a 204), null where it does not declare the status.
 */
function declaredSchema(route: string, status: number): string | 'empty' | null {
  const [method, path] = route.split(' ') as [string, string];
  const response = PATHS[path]?.[method.toLowerCase()]?.responses?.[String(status)];
  if (!response) return null;
  if (!response.content) return 'empty';
  if (!response.content['application/json']?.schema) return null;
  const at = pointer('paths', path, method.toLowerCase(), 'responses', String(status), 'content', 'application/json');
  return `apiframe#/${at}/schema`;
}

export interface Conformance {
  /** Whether the spec declares a body for this route and status. */
  declared: boolean;
  /** Ajv's complaints; empty when the body conforms. */
  errors: string[];
}

/** Checks `body` as the answer of `route` with `status`. */
export function conformance(route: string, status: number, body: unknown): Conformance {
  const declared = declaredSchema(route, status);
  if (declared === 'empty') return { declared: true, errors: body === undefined ? [] : ['$ must be empty'] };
  const validate = ajv.getSchema(declared ?? 'apiframe#/components/schemas/ErrorResponse')!;
  const valid = validate(body);
  const errors = valid ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '$'} ${e.message}`);
  return { declared: declared !== null, errors };
}

/** The (route, status) pairs README lists as answered by the gateway though the spec declares no body for them. */
export function undeclaredInReadme(readmePath: string): string[] {
  const readme = readFileSync(readmePath, 'utf8');
  const section = readme.split('### Statuses the gateway answers that Apiframe’s spec does not declare')[1] ?? '';
  const table = section.split('\n#')[0]!;
  return [...table.matchAll(/^\| `(GET|POST|DELETE) ([^`]+)` \| ([\d, ]+) \|/gm)].flatMap(
    ([, method, path, statuses]) => statuses!.split(',').map((status) => `${method} ${path} ${status.trim()}`),
  );
}
