// Credits and the ledger: reservations held under a lease, a job taking over its reservation,
// settlement, and reading spend, ledger entries and daily aggregates. Every move is atomic: it
// checks and moves credits in one step, so concurrent requests can never overspend.
import type { BudgetCheck } from '../../../domain/budgets.js';
import type { EphemeralCap } from '../../../domain/ephemeral-keys.js';
import type { CallerWebhook } from '../../../domain/jobs.js';
import type { AggregateCell, LedgerEntry } from '../../../domain/ledger.js';
import type { RequestCount, RequestQuota } from '../../../domain/request-limits.js';
import type { ExpiredReservation } from '../../../domain/reservations.js';

/** Who asked for a movement of credits, and when: recorded in its ledger entry. */
export interface Movement {
  requestId: string;
  now: number;
}

export interface ReserveRequest extends Movement {
  reservationId: string;
  team: string;
  keyId: string;
  model: string;
  credits: number;
  /** Every window the spend counts in (day, week, month, total); the first, the day, is the accounting day. */
  windows: string[];
  keyBudget: BudgetCheck | null;
  teamBudget: BudgetCheck | null;
  leaseUntil: number;
  /** The key's budget of requests this submission is counted in, before anything is reserved. */
  quota?: RequestQuota;
  /** The ephemeral key spending for `keyId`: its cap and jobs are checked and counted too. */
  ephemeral?: EphemeralCap;
}

/**
 * Reserved; or refused because a budget has only `available` credits left, because the request
 * is over its quota, or because its ephemeral key has created its maxJobs jobs (nothing reserved
 * in any case). `counted`: where the request left its quota's window, when it had one.
 */
export type ReserveResult =
  | { ok: true; counted?: RequestCount }
  | { ok: false; available: number; counted?: RequestCount }
  | { ok: false; jobsUsedUp: true; counted?: RequestCount }
  | { ok: false; overQuota: true; counted: RequestCount };

export interface ReleaseRequest extends Movement {
  team: string;
  reservationId: string;
  /** The reservation's accounting day. */
  day: string;
  why: string;
}

export interface AttachRequest extends Movement {
  reservationId: string;
  jobId: string;
  team: string;
  keyId: string;
  model: string;
  windows: string[];
  /** The price reserved, and the budgets it was checked against: taken again if the reservation lapsed. */
  credits: number;
  keyBudget: BudgetCheck | null;
  teamBudget: BudgetCheck | null;
  /** Where the caller wants this job's webhook events relayed. */
  webhook?: CallerWebhook;
  /** The ephemeral key the job is for (its reservation names it too). */
  ephemeralId?: string;
  /** When that key expires (ms): its own list of jobs goes with it. */
  ephemeralExpiresAt?: number;
}

/**
 * `attached`: the job now owns the reservation; `duplicate`: the job was already known (its
 * reservation, if still there, was returned: `released`); `retaken`: the reservation had
 * lapsed, so the price was counted again, and `overrun` is what the budget had no room left for.
 */
export interface AttachResult {
  state: 'attached' | 'duplicate' | 'retaken';
  overrun: number;
  released: number;
}

export interface SettleRequest extends Movement {
  team: string;
  jobId: string;
  day: string;
  status: string;
  credits: number;
  finalBody: string;
}

/** `settled`: this call settled the job; `overrun`: what it cost beyond what was reserved. */
export interface SettleResult {
  settled: boolean;
  overrun: number;
}

export interface SpendQuery {
  team: string;
  /** Also the key's spend; the team's only when absent. */
  keyId?: string;
  /** Also this ephemeral key's spend over its life. */
  ephemeralId?: string;
  windows: string[];
}

/** Credits counted (reserved + settled) per window, for a key and its team; an ephemeral key's in all. */
export interface Spend {
  key: Record<string, number>;
  team: Record<string, number>;
  ephemeral?: number;
}

export interface Credits {
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  /** Returns a reservation's credits; 0 when it was already gone. */
  release(request: ReleaseRequest): Promise<number>;
  /** Records the job Apiframe accepted, taking over its reservation. */
  attachJob(request: AttachRequest): Promise<AttachResult>;
  /** Settles a pending job exactly once (`settled` false when it already was). */
  settle(request: SettleRequest): Promise<SettleResult>;
  /** Moves a live reservation's lease to `leaseUntil` (nothing when it is gone). */
  renewLease(team: string, reservationId: string, leaseUntil: number): Promise<void>;
  expiredReservations(team: string, now: number, limit: number): Promise<ExpiredReservation[]>;
  spend(query: SpendQuery): Promise<Spend>;
  /** Drops the team's spend counters `isStale` names (no budget check reads them again); how many. */
  pruneSpend(team: string, isStale: (field: string) => boolean): Promise<number>;
  /** Ledger entries of a team, oldest first, strictly after the entry id `after`. */
  readLedger(team: string, after: string | null, limit: number): Promise<LedgerEntry[]>;
  /** The aggregate cells of a team for each of `days`. */
  aggregates(team: string, days: string[]): Promise<AggregateCell[]>;
}
