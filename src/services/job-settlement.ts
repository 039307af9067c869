// The end of a reservation: a job is settled exactly once, when it is first seen in a terminal
// state (its cost charged when it completed, the whole reservation when Apiframe
// states no cost, nothing when it failed), and a reservation that
// never became a job is released. Each credit moved is counted in the metrics.
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { JobRecord } from '../domain/jobs.js';
import type { ReleaseRequest } from './store/credits/contract.js';
import type { Store } from './store/store.js';
import { parseJob, TERMINAL_STATUSES } from '../domain/jobs.js';

export interface JobSettlementDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: Pick<Metrics, 'credits'>;
}

export function createJobSettlement(deps: JobSettlementDeps) {
  const { store, clock, logger, metrics } = deps;

  /**
   * Settles `record` when `body` (a job, or a webhook event) shows a terminal state; true when
   * this call settled it. `finalBody`, the job as GET /v2/jobs/{id} shows it, serves later polls.
   */
  async function settleIfTerminal(
    record: JobRecord,
    body: string,
    requestId: string,
    finalBody = body,
  ): Promise<boolean> {
    const job = parseJob(body);
    if (!job || !TERMINAL_STATUSES.has(job.status)) return false;
    const completed = job.status === 'COMPLETED';
    const credits = completed ? (job.creditCost ?? record.reserved) : 0;
    const { settled, overrun } = await store.settle({
      team: record.team,
      jobId: record.jobId,
      day: record.day,
      status: job.status,
      credits,
      finalBody,
      now: clock(),
      requestId,
    });
    const { team, model, reserved } = record;
    if (settled && completed) metrics.credits('settled', team, model, credits - overrun);
    if (settled && !completed) metrics.credits('refunded', team, model, reserved);
    if (overrun > 0) {
      metrics.credits('overrun', team, model, overrun);
      logger.warn(
        { requestId, jobId: record.jobId, team, model, charged: credits, reserved, overrun },
        'job cost more than its reservation: overrun recorded',
      );
    }
    return settled;
  }

  /** Returns a reservation's credits; false when it was already gone. */
  async function release(request: ReleaseRequest, model: string): Promise<boolean> {
    const released = await store.release(request);
    metrics.credits('released', request.team, model, released);
    return released > 0;
  }

  /** Releases a reservation, or, when the store fails, leaves it to run out its lease. */
  async function releaseQuietly(request: ReleaseRequest, model: string): Promise<void> {
    try {
      await release(request, model);
    } catch (error) {
      // The reservation keeps its lease; background settlement releases it when the lease runs out.
      const { requestId, reservationId } = request;
      logger.warn({ err: error, requestId, reservationId }, 'release failed; left to the reconciler');
    }
  }

  return { settleIfTerminal, release, releaseQuietly };
}

export type JobSettlement = ReturnType<typeof createJobSettlement>;
