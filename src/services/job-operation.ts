// An Apiframe operation that submits a job, described once: the job pipeline (job-submission.ts)
// runs it and the v2 routes serve it from this description alone. Adding an operation is adding
// a descriptor to operations/ and the schema of its body.
import type { Static, TSchema } from '@sinclair/typebox';
import type { PriceRule } from '../domain/pricing.js';

/** Credits per model or action: PRICING, the short form of the operator's flat prices. */
export type Pricing = Readonly<Record<string, number>>;

/** The price rules in force when a request is priced: the operator's over Apiframe's catalogue. */
export interface Prices {
  /** The rule for a model or action (`midjourney:upsample`), the operator's ceilings applied; none when unpriced. */
  rule(name: string): PriceRule | undefined;
  /**
   * Whether a name without a rule is simply unpriced: false when Apiframe's catalogue prices are in
   * use but none could be read (nor a stored copy), so the price is unknown rather than absent.
   */
  readonly complete: boolean;
}

// Methods rather than function properties: a descriptor of a particular body is then usable
// wherever any descriptor is (`JobOperation` with its default schema).
export interface JobOperation<Body extends TSchema = TSchema> {
  /** Apiframe's path, which the gateway serves under the same name (e.g. `/v2/images/generate`). */
  path: `/v2/${string}`;
  /** Names the operation's upstream calls in the metrics. */
  name: string;
  /** The route's OpenAPI tags, summary and description. */
  tags: string[];
  summary: string;
  description: string;
  /** The body's schema. */
  body(): Body;
  /** Rules across fields that the schema cannot express: messages by path, none when the body is valid. */
  crossFieldErrors?(body: Static<Body>): Record<string, string[]>;
  /** The model the job runs: checked against the key's allowedModels, named in the ledger and metrics. */
  model(body: Static<Body>): string;
  /**
   * The credits reserved before the job is sent: the most it can cost by its rule (settlement
   * charges what it did cost; more is an overrun). Throws when no rule prices it or bounds it.
   */
  price(body: Static<Body>, prices: Prices): number;
  /** Ids of earlier jobs the body works on: each must be a job of the caller's team. */
  jobReferences?(body: Static<Body>): string[];
  /** Uploads and LoRAs the body names: each must be the caller's team's (services/object-references.ts). */
  objectReferences?(body: Static<Body>): ObjectReferences;
  /** Whether the body may carry `webhookUrl` and `webhookEvents`, which the gateway relays. */
  webhooks: boolean;
}

export interface ObjectReferences {
  loras?: string[];
  /** URLs the body names, in canonical form (domain/upload-urls.ts), any of which may be an upload's. */
  urls?: string[];
}

/** Types a descriptor's rules by the body its schema describes. */
export function defineJobOperation<Body extends TSchema>(operation: JobOperation<Body>): JobOperation<Body> {
  return operation;
}
