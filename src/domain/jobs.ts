// Jobs as the gateway records them, Apiframe's job states, and reading an Apiframe job body.

/** Statuses Apiframe never changes a job out of. */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

export interface CallerWebhook {
  url: string;
  /** The events to relay; all when empty. */
  events: string[];
}

/** `pending` until settled; `settled` once its credits were charged or refunded. */
export type JobState = 'pending' | 'settled';

export interface JobRecord {
  jobId: string;
  team: string;
  keyId: string;
  model: string;
  reserved: number;
  createdAt: number;
  /** The accounting day: the UTC day its credits were reserved. */
  day: string;
  state: JobState;
  /** Credits charged at settlement. */
  charged: number | null;
  webhook: CallerWebhook | null;
  /** The terminal job as Apiframe returned it (JSON), once settled; null while unknown. */
  finalBody: string | null;
  /** The ephemeral key that created it for `keyId` (its parent), when one did: only it sees the job. */
  ephemeralId?: string;
}

/** What the gateway reads of an Apiframe job (or webhook event). */
export interface UpstreamJob {
  status: string;
  creditCost: number | null;
}

/** The status and credit cost of a job (or webhook event) body; null when it has no status. */
export function parseJob(body: string): UpstreamJob | null {
  const parsed = parseJson(body) as { status?: unknown; creditCost?: unknown } | undefined;
  if (typeof parsed?.status !== 'string') return null;
  const cost = parsed.creditCost;
  return {
    status: parsed.status,
    creditCost: typeof cost === 'number' && Number.isInteger(cost) && cost >= 0 ? cost : null,
  };
}

/** The value of JSON text, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
