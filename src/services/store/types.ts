// The store's contract. Two implementations keep it: Redis (Lua scripts, many gateway
// instances) and memory (one process, for trials). Every money operation is atomic: it checks
// and moves credits in one step, so concurrent requests can never overspend.
import type { Budget } from '../budget-window.js';
import type { JobPosition } from './job-cursor.js';

export interface TeamKeyRecord {
  id: string;
  name: string;
  team: string;
  prefix: string;
  hash: string;
  createdAt: string;
  budget: Budget | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

/** A budget as the reserve step applies it: the window being checked and its limit. */
export interface BudgetCheck {
  window: string;
  limit: number;
}

export interface ReserveRequest {
  reservationId: string;
  team: string;
  keyId: string;
  model: string;
  credits: number;
  /** Every window the spend counts in (day, month, total). */
  windows: string[];
  keyBudget: BudgetCheck | null;
  teamBudget: BudgetCheck | null;
  now: number;
  leaseUntil: number;
}

export type ReserveResult = { ok: true } | { ok: false; available: number };

export interface AttachRequest {
  reservationId: string;
  jobId: string;
  team: string;
  keyId: string;
  model: string;
  windows: string[];
  now: number;
}

/** `attached`: the job now owns the reservation; `duplicate`: the job was already known (the reservation was returned). */
export type AttachResult = 'attached' | 'duplicate';

export interface JobRecord {
  jobId: string;
  team: string;
  keyId: string;
  model: string;
  reserved: number;
  createdAt: number;
  state: 'pending' | 'settled';
  /** Credits charged at settlement. */
  charged: number | null;
  /** The terminal job exactly as Apiframe returned it (JSON), once settled. */
  finalBody: string | null;
}

export interface SettleRequest {
  team: string;
  jobId: string;
  status: string;
  credits: number;
  finalBody: string;
  now: number;
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
  after?: JobPosition;
  limit: number;
}

export interface SpendQuery {
  team: string;
  keyId: string;
  windows: string[];
}

/** Credits counted (reserved + settled) per window, for a key and its team. */
export interface Spend {
  key: Record<string, number>;
  team: Record<string, number>;
}

export interface ExpiredReservation {
  reservationId: string;
  team: string;
}

export interface Store {
  readonly kind: 'redis' | 'memory';

  createKey(record: TeamKeyRecord): Promise<void>;
  findKeyByHash(hash: string): Promise<TeamKeyRecord | null>;
  getKey(id: string): Promise<TeamKeyRecord | null>;
  listKeys(): Promise<TeamKeyRecord[]>;
  saveKey(record: TeamKeyRecord): Promise<void>;

  reserve(request: ReserveRequest): Promise<ReserveResult>;
  release(team: string, reservationId: string): Promise<number>;
  attachJob(request: AttachRequest): Promise<AttachResult>;
  /** Settles a pending job exactly once; false when it was already settled. */
  settle(request: SettleRequest): Promise<boolean>;
  getJob(team: string, jobId: string): Promise<JobRecord | null>;
  listJobs(request: ListJobsRequest): Promise<JobPage>;
  spend(query: SpendQuery): Promise<Spend>;

  /** Teams that have ever had a key: the reconciler walks them. */
  teams(): Promise<string[]>;
  /** Pending jobs due for a check at `now`, oldest due first. */
  pendingJobs(team: string, now: number, limit: number): Promise<JobRecord[]>;
  /** Postpones the next reconciler check of a pending job. */
  deferJob(team: string, jobId: string, until: number): Promise<void>;
  expiredReservations(team: string, now: number, limit: number): Promise<ExpiredReservation[]>;
  /** Takes or renews a named lease for `holder`; true while `holder` has it. */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;

  ping(): Promise<void>;
  close(): Promise<void>;
}
