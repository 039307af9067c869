// Asking Apiframe for a job's state: a refresh settles the job when it has finished, and
// otherwise saves the state for other pollers to share. A poll waits for its refresh for a
// bounded time; a slower refresh goes on in the background after the poll is answered, and
// closing waits for it.
import { errors } from '../errors.js';
import type { Clock } from './clock.js';
import type { JobSettlement } from './job-settlement.js';
import type { Logger } from './logger.js';
import type { JobRecord } from '../domain/jobs.js';
import type { Store } from './store/store.js';
import type { UpstreamClient } from './upstream.js';
import { asCallerError, upstreamRefusal } from './upstream-errors.js';
import type { UpstreamPause } from './upstream-pause.js';

export interface JobRefreshDeps {
  store: Store;
  upstream: UpstreamClient;
  settlement: Pick<JobSettlement, 'settleIfTerminal'>;
  pause: Pick<UpstreamPause, 'heard'>;
  clock: Clock;
  logger: Logger;
}

export function createJobRefresh(deps: JobRefreshDeps) {
  const { store, upstream, settlement, pause, clock, logger } = deps;
  const backgroundRefreshes = new Set<Promise<void>>();

  /** The job's current state from Apiframe, as JSON text; errors mapped for the caller. */
  async function fetchJob(jobId: string, requestId: string): Promise<string> {
    try {
      const response = await upstream.getJob(jobId, requestId);
      if (response.status === 404) throw new errors.JobNotFound();
      pause.heard(response);
      if (response.status !== 200) throw upstreamRefusal(response);
      return response.body;
    } catch (error) {
      throw asCallerError(error);
    }
  }

  /**
   * Asks Apiframe for a job's state: settles the job if it has finished, else shares the state,
   * dated when it was asked for, so that a crowd's next refresh starts a second after this one
   * started rather than a second after Apiframe answered.
   */
  async function refresh(record: JobRecord, requestId: string): Promise<string> {
    const askedAt = clock();
    const body = await fetchJob(record.jobId, requestId);
    if (!(await settlement.settleIfTerminal(record, body, requestId))) {
      await store.saveSnapshot(record.team, record.jobId, body, askedAt);
    }
    return body;
  }

  /**
   * A refresh its poll waits for at most `waitMs`: the state Apiframe answered, or null once the
   * wait is over. The refresh then goes on in the background: close() waits for it, and a failure
   * that no poll is left to hear of is logged.
   */
  async function refreshWithin(record: JobRecord, requestId: string, waitMs: number): Promise<string | null> {
    const { jobId, team } = record;
    let pollGaveUp = false;
    const refreshing = refresh(record, requestId);
    const running = refreshing.then(
      () => undefined,
      (error: unknown) => {
        if (pollGaveUp) logger.warn({ err: error, requestId, jobId, team }, 'background job refresh failed');
      },
    );
    backgroundRefreshes.add(running);
    void running.finally(() => backgroundRefreshes.delete(running));
    let timer: NodeJS.Timeout | undefined;
    const waitOver = new Promise<null>((resolve) => {
      timer = setTimeout(() => {
        pollGaveUp = true;
        resolve(null);
      }, waitMs);
    });
    try {
      return await Promise.race([refreshing, waitOver]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    fetchJob,
    refresh,
    refreshWithin,
    /** Waits for the refreshes still running in the background. */
    close: async (): Promise<void> => {
      await Promise.all(backgroundRefreshes);
    },
  };
}

export type JobRefresh = ReturnType<typeof createJobRefresh>;
