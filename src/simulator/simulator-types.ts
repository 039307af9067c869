// The simulator's options, the handle a test or script drives it with, its jobs and the state its
// routes share.
export interface SimulatorOptions {
  apiKey: string;
  /** How long a job takes from QUEUED to its terminal state. */
  jobDurationMs?: number;
  /** Credits a completed job costs, by model (unknown models cost 1). */
  prices?: Record<string, number>;
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

export interface SimJob {
  id: string;
  model: string;
  input: Record<string, unknown>;
  createdAt: number;
  outcome: Outcome;
  cost: number;
  latencyMs: number;
  failingPolls: number;
}

export interface Simulator {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Webhook calls made, with the status each got. */
  readonly webhooksSent: SentWebhook[];
  /** Sum of creditCost over jobs that are COMPLETED at this moment. */
  chargedCredits(): number;
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
  readonly webhooksSent: SentWebhook[];
}
