// A job operation served from Apiframe's own spec (schemas/apiframe-spec.ts): its body is the
// spec's `oneOf`, checked against the branch its model or action picks; the job's model is the
// name that branch is priced under; its price is the operator's (PRICING), and a branch without
// one is refused until the operator sets it; an action's parent job must be the caller's team's,
// and so must the LoRA and the uploads a body names.
import { type TSchema, Type, type TUnsafe } from '@sinclair/typebox';
import { errors, withExtras } from '../../errors.js';
import { apiframeJobOperation, priceName, type JsonSchema } from '../../schemas/apiframe-spec.js';
import { defineJobOperation, type JobOperation, type Pricing } from '../job-operation.js';
import { objectReferencesIn } from '../object-references.js';

/** A body that Apiframe's spec accepts for the operation: the validator has checked its fields. */
export type ApiframeBody = Readonly<Record<string, unknown>>;

export interface ApiframeOperationOptions {
  path: `/v2/${string}`;
  name: string;
  tags: string[];
  summary: string;
  description: string;
  /** A body the route's documentation shows; a test checks that the gateway accepts it. */
  example: ApiframeBody;
  /** Schemas written by hand for some branches, by model: they replace the spec's for those. */
  handWritten?: Readonly<Record<string, TSchema>>;
  crossFieldErrors?(body: ApiframeBody): Record<string, string[]>;
}

/** The credits the operator set for `name`, or a 400 naming the missing price and the priced choices. */
function reservedPrice(pricing: Pricing, name: string, names: readonly string[], tag: string): number {
  if (Object.hasOwn(pricing, name)) return pricing[name]!;
  const priced = names.filter((candidate) => Object.hasOwn(pricing, candidate));
  throw withExtras(new errors.PriceMissing(), {
    details: {
      [tag]: [priced.length > 0 ? `must be one of: ${priced.join(', ')}` : 'none is priced on this gateway'],
      $: [`${name} has no price on this gateway: the gateway operator must set one (PRICING) before it can run`],
    },
  });
}

export function apiframeOperation(options: ApiframeOperationOptions): JobOperation<TUnsafe<ApiframeBody>> {
  const { path, name, tags, summary, description, example, handWritten = {}, crossFieldErrors } = options;
  const spec = apiframeJobOperation(path);
  const names = [...spec.branches.keys()].map((value) => priceName(spec, value));
  const branches = [...spec.branches].map(([value, branch]): JsonSchema => handWritten[value] ?? branch);
  const actsOnAJob = branches.some((branch) => 'parentJobId' in (branch.properties as object));
  const nameOf = (body: ApiframeBody) => priceName(spec, body[spec.tag] as string);
  return defineJobOperation({
    path,
    name,
    tags,
    summary,
    description,
    body: () =>
      Type.Unsafe<ApiframeBody>({
        type: 'object',
        required: [spec.tag],
        discriminator: { propertyName: spec.tag },
        oneOf: structuredClone(branches),
        examples: [example],
      }),
    ...(crossFieldErrors && { crossFieldErrors }),
    model: nameOf,
    price: (body, pricing) => reservedPrice(pricing, nameOf(body), names, spec.tag),
    ...(actsOnAJob && { jobReferences: (body: ApiframeBody) => [body.parentJobId as string] }),
    objectReferences: objectReferencesIn,
    webhooks: spec.webhooks,
  });
}
