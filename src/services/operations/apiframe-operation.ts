// A job operation served from Apiframe's own spec (schemas/apiframe-spec.ts): its body is the
// spec's `oneOf`, checked against the branch its model or action picks; the job's model is the
// name that branch is priced under; its price is the upper bound its rule sets on the body
// (reserved-price.ts); an action's parent job must be the caller's team's, and so must the LoRA
// and the uploads a body names.
import { type TSchema, Type, type TUnsafe } from '@sinclair/typebox';
import { branchUnits } from '../../domain/request-units.js';
import { apiframeJobOperation, priceName, type JsonSchema } from '../../schemas/apiframe-spec.js';
import { defineJobOperation, type JobOperation } from '../job-operation.js';
import { objectReferencesIn } from '../object-references.js';
import { type PricedBranch, reservedPrice } from './reserved-price.js';

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
  /** Set when the operation's cost depends on its input (a video's length, an image's megapixels). */
  pricedByInput?: 'seconds' | 'megapixels';
}

export function apiframeOperation(options: ApiframeOperationOptions): JobOperation<TUnsafe<ApiframeBody>> {
  const { path, name, tags, summary, description, example, handWritten = {}, crossFieldErrors } = options;
  const spec = apiframeJobOperation(path);
  const names = [...spec.branches.keys()].map((value) => priceName(spec, value));
  const branches = [...spec.branches].map(([value, branch]): JsonSchema => handWritten[value] ?? branch);
  const priced = new Map(
    [...spec.branches.keys()].map((value, i): [string, PricedBranch] => [
      value,
      { name: names[i]!, units: branchUnits(branches[i]!, options.pricedByInput) },
    ]),
  );
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
    price: (body, prices) =>
      reservedPrice(prices, priced.get(body[spec.tag] as string)!, { names, tag: spec.tag }, body),
    ...(actsOnAJob && { jobReferences: (body: ApiframeBody) => [body.parentJobId as string] }),
    objectReferences: objectReferencesIn,
    webhooks: spec.webhooks,
  });
}
