// Recorded jobs: reading them, sharing polls of Apiframe between callers, listing, and the
// reconciler's queue of pending jobs.
import type { JobRecord } from '../../../domain/jobs.js';
import type { RequestCount, RequestQuota } from '../../../domain/request-limits.js';
import type { Position } from '../cursor.js';

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

/** A poll counted in its key's quota: no decision when the job is unknown or the poll over its quota. */
export interface CountedPoll {
  counted: RequestCount;
  decision: PollDecision | null;
}

export interface JobPage {
  jobs: JobRecord[];
  hasMore: boolean;
}

export interface ListJobsRequest {
  team: string;
  /** Only this key's jobs; all of the team's when absent. */
  keyId?: string;
  /** Only the jobs this ephemeral key created. */
  ephemeralId?: string;
  /** Start strictly after this job (newest first). */
  after?: Position;
  limit: number;
}

export interface Jobs {
  getJob(team: string, jobId: string): Promise<JobRecord | null>;
  /**
   * Reads a job for a poll and decides, in one step, whether Apiframe must be asked. With
   * `lockMs` 0 it only looks: the right to ask is never taken, a refresh that is due is `due`.
   */
  pollJob(
    team: string,
    jobId: string,
    now: number,
    snapshotMaxAgeMs: number,
    lockMs: number,
  ): Promise<PollDecision | null>;
  /** pollJob counting the poll in `quota` first, in the same step: over the quota, nothing is read. */
  countedPollJob(
    team: string,
    jobId: string,
    now: number,
    snapshotMaxAgeMs: number,
    lockMs: number,
    quota: RequestQuota,
  ): Promise<CountedPoll>;
  /** Keeps the latest non-terminal state of a job for other pollers, and frees the fetch lock. */
  saveSnapshot(team: string, jobId: string, body: string, now: number): Promise<void>;
  listJobs(request: ListJobsRequest): Promise<JobPage>;
  /** A team's jobs created in [fromMs, toMs), oldest first. */
  jobsCreatedBetween(team: string, fromMs: number, toMs: number): Promise<JobRecord[]>;
  /** Pending jobs due for a check at `now`, oldest due first. */
  pendingJobs(team: string, now: number, limit: number): Promise<JobRecord[]>;
  /** Postpones the next reconciler check of a pending job. */
  deferJob(team: string, jobId: string, until: number): Promise<void>;
  /** Jobs accepted and not yet settled, over every team. */
  pendingJobCount(): Promise<number>;
}
