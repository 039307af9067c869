// Apiframe's own OpenAPI spec, the copy committed in openapi/apiframe/ (`npm run apiframe:spec`
// refreshes it): its job-submitting operations, each with the JSON Schema of its body, one branch
// per model (or per action, for the actions on an earlier job), and the name the gateway prices
// each branch under.
import spec from '#apiframe-spec' with { type: 'json' };

export type JsonSchema = Readonly<Record<string, unknown>>;

export interface ApiframeJobOperation {
  path: `/v2/${string}`;
  /** The body field that picks a branch: `model`, or `action` for the actions on an earlier job. */
  tag: 'model' | 'action';
  /** Each body's schema by its tag's value, in the spec's order. */
  branches: ReadonlyMap<string, JsonSchema>;
  /** True when every body may carry `webhookUrl`. */
  webhooks: boolean;
}

interface SpecOperation {
  requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> };
  responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}

/** The parts of an OpenAPI document read here. */
export interface SpecDocument {
  paths?: Record<string, Record<string, SpecOperation>>;
  components?: { schemas?: Record<string, { oneOf?: JsonSchema[] }> };
}

const refName = (ref: string | undefined) => ref?.replace('#/components/schemas/', '');

function propertiesOf(branch: JsonSchema): Record<string, { enum?: unknown[]; const?: unknown }> {
  return (branch.properties ?? {}) as Record<string, { enum?: unknown[]; const?: unknown }>;
}

/** The single value a branch's tag takes (`{"enum": ["kling-2.1"]}` or `{"const": …}`). */
function tagValueOf(branch: JsonSchema, tag: string): string {
  const property = propertiesOf(branch)[tag];
  const value = property?.const ?? (property?.enum?.length === 1 ? property.enum[0] : undefined);
  if (typeof value !== 'string') throw new Error(`a branch of Apiframe's spec has no single "${tag}" value`);
  return value;
}

/** An operation whose JSON body is a `oneOf` by model or action and whose 202 answer is JobAccepted. */
function jobOperation(document: SpecDocument, path: string, post?: SpecOperation): ApiframeJobOperation | null {
  const body = refName(post?.requestBody?.content?.['application/json']?.schema?.$ref);
  const accepted = refName(post?.responses?.['202']?.content?.['application/json']?.schema?.$ref);
  const oneOf = body ? document.components?.schemas?.[body]?.oneOf : undefined;
  if (accepted !== 'JobAccepted' || !oneOf) return null;
  const tag = oneOf.every((branch) => 'model' in propertiesOf(branch)) ? 'model' : 'action';
  return {
    path: path as `/v2/${string}`,
    tag,
    branches: new Map(oneOf.map((branch) => [tagValueOf(branch, tag), branch])),
    webhooks: oneOf.every((branch) => 'webhookUrl' in propertiesOf(branch)),
  };
}

/** Every job-submitting operation of an Apiframe spec, in its order. */
export function jobOperationsOf(document: SpecDocument): ApiframeJobOperation[] {
  return Object.entries(document.paths ?? {})
    .map(([path, methods]) => jobOperation(document, path, methods.post))
    .filter((operation) => operation !== null);
}

/** The job-submitting operations of the committed spec. */
export const APIFRAME_JOB_OPERATIONS: readonly ApiframeJobOperation[] = jobOperationsOf(spec as SpecDocument);

export function apiframeJobOperation(path: string): ApiframeJobOperation {
  const operation = APIFRAME_JOB_OPERATIONS.find((candidate) => candidate.path === path);
  if (!operation) throw new Error(`Apiframe's spec has no job-submitting operation at ${path}`);
  return operation;
}

/**
 * What the gateway calls a branch in prices, allowed models and the ledger: the model itself, or
 * for an action the family of the job it acts on and the action (`midjourney:upsample` for
 * `POST /v2/images/midjourney/action`, `suno:extend` for `POST /v2/music/suno/action`).
 */
export function priceName(operation: ApiframeJobOperation, tagValue: string): string {
  if (operation.tag === 'model') return tagValue;
  return `${operation.path.split('/').at(-2)}:${tagValue}`;
}

/** Every model and action the spec knows, by the names the gateway prices them under. */
export const APIFRAME_PRICE_NAMES: readonly string[] = [
  ...new Set(
    APIFRAME_JOB_OPERATIONS.flatMap((operation) =>
      [...operation.branches.keys()].map((value) => priceName(operation, value)),
    ),
  ),
];
