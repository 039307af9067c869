// The store's contract. Two implementations keep it: Redis (Lua scripts, many gateway
// instances) and memory (one process, for trials). Every money operation is atomic: it checks
// and moves credits in one step, so concurrent requests can never overspend.
import type { Cluster, Redis } from 'ioredis';
import type { BudgetCheck } from '../../domain/budgets.js';
import type { ChangeEvent } from '../../domain/changes.js';
import type { DeliveryOutcome, WebhookDelivery } from '../../domain/deliveries.js';
import type { CallerWebhook, JobRecord } from '../../domain/jobs.js';
import type { AuditEntry, StoredAuditEntry, TeamKeyRecord, TeamRecord } from '../../domain/keys.js';
import type { AggregateCell, LedgerEntry } from '../../domain/ledger.js';
import type { ExpiredReservation } from '../../domain/reservations.js';
import type { Position } from './cursor.js';

export interface KeyChange {
  /** The new state; its version is expectedVersion + 1. */
  record: TeamKeyRecord;
  /** The version the change was based on (0 when creating). */
  expectedVersion: number;
  /** A rotation: the hash that stops resolving, and when (ms since epoch). */
  retire?: { hash: string; at: number };
  /** Created with the key when its team did not exist yet. */
  implicitTeam?: { record: TeamRecord; audit: AuditEntry };
  audit: AuditEntry;
}

export interface TeamChange {
  record: TeamRecord;
  expectedVersion: number;
  audit: AuditEntry;
}

export interface ListKeysRequest {
  team?: string;
  after?: Position;
  limit: number;
}

export interface ListAuditRequest {
  /** Entries strictly older than this id. */
  before?: string;
  limit: number;
}

/** Where idempotency records live: one team key's own namespace. */
export interface IdempotencyScope {
  team: string;
  keyId: string;
  /** SHA-256 of the client's Idempotency-Key. */
  key: string;
}

export type IdempotencyClaim =
  | { state: 'claimed' }
  | { state: 'pending' }
  | { state: 'mismatch' }
  | { state: 'done'; status: number; body: string };

/** A change, or `resync` when notifications may have been missed (drop every cached copy). */
export type ChangeListener = (event: ChangeEvent | 'resync') => void;

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
}

export interface ReleaseRequest extends Movement {
  team: string;
  reservationId: string;
  /** The reservation's accounting day. */
  day: string;
  why: string;
}

export type ReserveResult = { ok: true } | { ok: false; available: number };

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

/** `settled`: this call settled the job; `overrun`: what it cost beyond what was reserved. */
export interface SettleResult {
  settled: boolean;
  overrun: number;
}

/**
 * How a poll proceeds: with the job's final body, a snapshot of it (fresh, or the last one seen
 * while another poller refreshes it), the right to ask Apiframe (`fetch`, held for a short
 * lock, with the last snapshot if any), or, before any snapshot exists, to wait for the poller
 * that has that right. A look that takes no lock says `due` where a poll would get `fetch`.
 */
export type PollDecision =
  | { action: 'final' | 'snapshot'; record: JobRecord; body: string }
  | { action: 'fetch' | 'due'; record: JobRecord; stale: { body: string; at: number } | null }
  | { action: 'wait'; record: JobRecord };

export interface SettleRequest extends Movement {
  team: string;
  jobId: string;
  day: string;
  status: string;
  credits: number;
  finalBody: string;
}

export interface JobPage {
  jobs: JobRecord[];
  hasMore: boolean;
}

export interface ListJobsRequest {
  team: string;
  /** Only this key's jobs; all of the team's when absent. */
  keyId?: string;
  /** Start strictly after this job (newest first). */
  after?: Position;
  limit: number;
}

export interface SpendQuery {
  team: string;
  /** Also the key's spend; the team's only when absent. */
  keyId?: string;
  windows: string[];
}

/** Credits counted (reserved + settled) per window, for a key and its team. */
export interface Spend {
  key: Record<string, number>;
  team: Record<string, number>;
}

export interface Store {
  readonly kind: 'redis' | 'memory';
  /** The Redis connection, for plugins that keep state of their own there (rate limits). */
  readonly redis?: Redis | Cluster;

  /**
   * Creates or updates a key atomically with its indexes and audit entry, and announces it to every
   * instance in the same step (a `key` change event); false on a version conflict.
   */
  saveKey(change: KeyChange): Promise<boolean>;
  findKeyByHash(hash: string): Promise<TeamKeyRecord | null>;
  getKey(id: string): Promise<TeamKeyRecord | null>;
  listKeys(request: ListKeysRequest): Promise<{ keys: TeamKeyRecord[]; hasMore: boolean }>;
  /** Creates or updates a team with its audit entry, announced like saveKey (a `team` event). */
  saveTeam(change: TeamChange): Promise<boolean>;
  getTeam(id: string): Promise<TeamRecord | null>;
  listTeams(): Promise<TeamRecord[]>;
  /** Every origin any key has been allowed (for CORS preflights; each request still checks its own key). */
  allowedOrigins(): Promise<string[]>;
  listAudit(request: ListAuditRequest): Promise<{ entries: StoredAuditEntry[]; hasMore: boolean }>;

  /** Tells every instance (this one included) that a record changed. */
  publishChange(event: ChangeEvent): Promise<void>;
  onChange(listener: ChangeListener): void;
  /** True while change notifications are known to arrive; caches must not be trusted otherwise. */
  changesLive(): boolean;

  reserve(request: ReserveRequest): Promise<ReserveResult>;
  release(request: ReleaseRequest): Promise<number>;
  attachJob(request: AttachRequest): Promise<AttachResult>;
  /** Settles a pending job exactly once (`settled` false when it already was). */
  settle(request: SettleRequest): Promise<SettleResult>;
  getJob(team: string, jobId: string): Promise<JobRecord | null>;
  /**
   * Reads a job for a poll and decides, in one step, whether Apiframe must be asked. With
   * `lockMs` 0 it only looks: the right to ask is never taken, a refresh that is due is `due`.
   */
  pollJob(team: string, jobId: string, now: number, snapshotMaxAgeMs: number, lockMs: number): Promise<PollDecision | null>;
  /** Keeps the latest non-terminal state of a job for other pollers, and frees the fetch lock. */
  saveSnapshot(team: string, jobId: string, body: string, now: number): Promise<void>;
  /** A team's jobs created in [fromMs, toMs), oldest first. */
  jobsCreatedBetween(team: string, fromMs: number, toMs: number): Promise<JobRecord[]>;
  listJobs(request: ListJobsRequest): Promise<JobPage>;
  spend(query: SpendQuery): Promise<Spend>;
  /** Ledger entries of a team, oldest first, strictly after the entry id `after`. */
  readLedger(team: string, after: string | null, limit: number): Promise<LedgerEntry[]>;
  /** The aggregate cells of a team for each of `days`. */
  aggregates(team: string, days: string[]): Promise<AggregateCell[]>;

  /**
   * Claims an idempotency key for a request with this body fingerprint (for `pendingTtlMs`),
   * or says what became of the request that holds it.
   */
  claimIdempotency(scope: IdempotencyScope, fingerprint: string, pendingTtlMs: number): Promise<IdempotencyClaim>;
  /** Keeps the answer to replay it to retries for `ttlMs`. */
  completeIdempotency(scope: IdempotencyScope, status: number, body: string, ttlMs: number): Promise<void>;
  /** Lets a retry run the request again (it failed without creating anything). */
  abandonIdempotency(scope: IdempotencyScope): Promise<void>;

  enqueueDelivery(delivery: WebhookDelivery, dueAt: number): Promise<void>;
  /** Due deliveries of a team, each claimed for `leaseMs` so that one instance sends it. */
  claimDueDeliveries(team: string, now: number, leaseMs: number, limit: number): Promise<WebhookDelivery[]>;
  /** Records how a delivery attempt went (and the job's webhookStatus). */
  recordDelivery(delivery: WebhookDelivery, outcome: DeliveryOutcome): Promise<void>;

  /** Teams known to the gateway: the reconciler walks them. */
  teams(): Promise<string[]>;
  /** Pending jobs due for a check at `now`, oldest due first. */
  pendingJobs(team: string, now: number, limit: number): Promise<JobRecord[]>;
  /** Jobs accepted and not yet settled, over every team. */
  pendingJobCount(): Promise<number>;
  /** Postpones the next reconciler check of a pending job. */
  deferJob(team: string, jobId: string, until: number): Promise<void>;
  expiredReservations(team: string, now: number, limit: number): Promise<ExpiredReservation[]>;
  /** Moves a live reservation's lease to `leaseUntil` (nothing when it is gone). */
  renewLease(team: string, reservationId: string, leaseUntil: number): Promise<void>;
  /** Takes or renews a named lease for `holder`; true while `holder` has it. */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;

  /** Why the store cannot serve right now, or null when it can (Redis connected, scripts loaded). */
  unavailability(): Promise<string | null>;
  close(): Promise<void>;
}
