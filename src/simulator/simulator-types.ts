// The simulator's options, the handle a test or script drives it with, its jobs and the state its
// routes share.
export interface SimulatorOptions {
  apiKey: string;
  /** How long a job takes from QUEUED to its terminal state. */
  jobDurationMs?: number;
  /**
   * Credits a completed job costs, by model (or action, as `midjourney:upsample`), in place of what
   * the catalogue's rule makes of the request.
   */
  prices?: Record<string, number>;
  /**
   * Charge each completed job of a model whose catalogue entry has a range somewhere in it, from
   * costMin to costMax times what was asked for, picked by the job's id (default false: costMax).
   */
  varyCosts?: boolean;
  /** The account's credits before any job; /v2/me reports them less what completed jobs cost. */
  accountCredits?: number;
  /** Keep every request in `requests`, for tests to inspect (default true; a long run grows it without end). */
  recordRequests?: boolean;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export type Outcome = 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'NEVER';

export type JsonObject = Record<string, unknown>;

export interface SimJob {
  id: string;
  model: string;
  /** The Midjourney or Suno action that made it, if any. */
  action?: string;
  input: JsonObject;
  createdAt: number;
  outcome: Outcome;
  cost: number;
  /** Whether a COMPLETED job states its cost (`[sim:nocost]`: creditCost stays null, as the spec allows). */
  statesCost: boolean;
  latencyMs: number;
  failingPolls: number;
  /** What a COMPLETED job reports as `result`. */
  result: unknown;
  /** The directives its actions inherit (those after `[sim:then]` in its text). */
  childDirectives: string;
}

/** The job a valid submission asks for, as its operation reads it. */
export interface JobTerms {
  model: string;
  /** The name `prices` knows it by: the model, or `family:action` for an action. */
  priceName: string;
  /** Credits it costs once COMPLETED, unless `prices` or `[sim:cost]` say otherwise. */
  cost: number;
  /** The least it may cost instead, with `varyCosts` (the catalogue's costMin times what was asked for). */
  leastCost?: number;
  action?: string;
  /** Directives it takes from elsewhere than its own body (an action's, from its parent). */
  inheritedDirectives?: string;
  result(jobId: string): unknown;
}

/** An answer other than 202: Apiframe's status and body. */
export interface Refusal {
  status: number;
  body: JsonObject;
}

/** One job-submitting operation of Apiframe: its path, and what it makes of a parsed body. */
export interface Operation {
  readonly path: string;
  accept(body: JsonObject, state: SimulatorState): JobTerms | Refusal;
}

export interface Simulator {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Webhook calls made, with the status each got. */
  readonly webhooksSent: SentWebhook[];
  /** What the account was charged at this moment: creditCost of COMPLETED jobs, 2 a LoRA not failed. */
  chargedCredits(): number;
  /** Bytes of multipart bodies (uploads, LoRA images) received so far, aborted ones included. */
  multipartBytesReceived(): number;
  jobStatus(id: string): string | undefined;
  /** The most requests to `route` (e.g. "GET /v2/jobs/:id") that were in progress at once. */
  peakInFlight(route: string): number;
  /** Answer every request with this status until cleared (null). */
  failAll(status: number | null): void;
  close(): Promise<void>;
}

export interface SentWebhook {
  url: string;
  event: string;
  status: number;
}

/** What the route handlers share: the jobs so far, and the webhooks sent for them. */
export interface SimulatorState {
  readonly options: SimulatorOptions;
  readonly jobDurationMs: number;
  readonly jobs: Map<string, SimJob>;
  /** The id of the job each idempotency key created, so a repeated submission gets it back. */
  readonly idempotent: Map<string, string>;
  /** The submissions being handled, by idempotency key: a replay waits for the first to end. */
  readonly keysInFlight: Map<string, Promise<unknown>>;
  readonly webhooksSent: SentWebhook[];
  readonly uploads: Map<string, JsonObject>;
  readonly loras: Map<string, SimLora>;
  /** Assets by id: the provider's object, answered verbatim. */
  readonly assets: Map<string, JsonObject>;
}

/** A LoRA trained for the account. */
export interface SimLora {
  id: string;
  name: string;
  subjectKind: string;
  gender: string | null;
  ethnicity: string | null;
  age: string | null;
  imageCount: number;
  steps: number;
  loraRank: number;
  createdAt: number;
  /** How training ends. */
  outcome: 'READY' | 'FAILED';
  archivedAt?: number;
}
