// Settles what nobody polls. One gateway instance at a time (a store lease) walks every team:
// it releases reservations whose lease ran out (their request died before Apiframe answered)
// and asks Apiframe about pending jobs, settling those that reached a terminal state. Jobs
// still running are checked again later, less often the older they get. Once an hour it also
// drops each team's spend counters no budget check reads again (domain/spend-fields.ts).
import { randomUUID } from 'node:crypto';
import { isStaleSpendField } from '../domain/spend-fields.js';
import { createBackgroundPass } from './background-pass.js';
import type { Clock } from './clock.js';
import type { JobRecord } from '../domain/jobs.js';
import type { JobRefresh } from './job-refresh.js';
import type { JobSettlement } from './job-settlement.js';
import type { Logger } from './logger.js';
import type { Store } from './store/store.js';

export interface BackgroundSettlementDeps {
  store: Store;
  refresher: Pick<JobRefresh, 'fetchJob'>;
  settlement: JobSettlement;
  clock: Clock;
  intervalMs: number;
  logger: Logger;
}

const BATCH = 100;
const MAX_RECHECK_MS = 10 * 60_000;
const PRUNE_EVERY_MS = 60 * 60_000;

export function createBackgroundSettlement(deps: BackgroundSettlementDeps) {
  const { store, refresher, settlement, clock, intervalMs, logger } = deps;
  const holder = randomUUID();
  const prunedAt = new Map<string, number>();

  async function pruneSpend(team: string, now: number): Promise<void> {
    if (now - (prunedAt.get(team) ?? Number.NEGATIVE_INFINITY) < PRUNE_EVERY_MS) return;
    prunedAt.set(team, now);
    await store.pruneSpend(team, (field) => isStaleSpendField(field, now));
  }

  async function releaseExpired(team: string, now: number): Promise<number> {
    const expired = await store.expiredReservations(team, now, BATCH);
    for (const { reservationId, day, model } of expired) {
      await settlement.release(
        { team, reservationId, day, now, requestId: `reconciler-${randomUUID()}`, why: 'lease expired' },
        model,
      );
    }
    return expired.length;
  }

  async function checkJob(job: JobRecord, now: number): Promise<boolean> {
    try {
      const requestId = `reconciler-${randomUUID()}`;
      const body = await refresher.fetchJob(job.jobId, requestId);
      if (await settlement.settleIfTerminal(job, body, requestId)) return true;
    } catch (error) {
      logger.warn({ err: error, jobId: job.jobId, team: job.team }, 'reconciler could not check job');
    }
    const age = now - job.createdAt;
    await store.deferJob(job.team, job.jobId, now + Math.min(Math.max(age / 10, intervalMs), MAX_RECHECK_MS));
    return false;
  }

  /** One pass over every team; returns what it did. Safe to call while another instance runs. */
  async function settleOnce(): Promise<{ released: number; settled: number; skipped: boolean }> {
    if (!(await store.acquireLease('reconciler', holder, intervalMs * 3))) {
      return { released: 0, settled: 0, skipped: true };
    }
    let released = 0;
    let settled = 0;
    const now = clock();
    for (const team of await store.teams()) {
      released += await releaseExpired(team, now);
      await pruneSpend(team, now);
      const due = await store.pendingJobs(team, now, BATCH);
      const results = await Promise.all(due.map((job) => checkJob(job, now)));
      settled += results.filter(Boolean).length;
    }
    return { released, settled, skipped: false };
  }

  const background = createBackgroundPass(settleOnce, logger, 'reconciler pass failed');

  return {
    settleOnce,
    start: () => background.start(intervalMs),
    stop: background.stop,
  };
}

export type BackgroundSettlement = ReturnType<typeof createBackgroundSettlement>;
