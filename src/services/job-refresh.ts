// Asking Apiframe for a job's state: a refresh settles the job when it has finished, and
// otherwise saves the state for other pollers to share. Refreshes may run in the background,
// after the poll that started them has been answered; closing waits for them.
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

  /** Asks Apiframe for a job's state: settles the job if it has finished, else shares the state. */
  async function refresh(record: JobRecord, requestId: string): Promise<string> {
    const body = await fetchJob(record.jobId, requestId);
    if (!(await settlement.settleIfTerminal(record, body, requestId))) {
      await store.saveSnapshot(record.team, record.jobId, body, clock());
    }
    return body;
  }

  function refreshInBackground(record: JobRecord, requestId: string): void {
    const { jobId, team } = record;
    const refreshing = refresh(record, requestId).then(
      () => undefined,
      (error: unknown) => logger.warn({ err: error, requestId, jobId, team }, 'background job refresh failed'),
    );
    backgroundRefreshes.add(refreshing);
    void refreshing.finally(() => backgroundRefreshes.delete(refreshing));
  }

  return {
    fetchJob,
    refresh,
    refreshInBackground,
    /** Waits for the refreshes still running in the background. */
    close: async (): Promise<void> => {
      await Promise.all(backgroundRefreshes);
    },
  };
}

export type JobRefresh = ReturnType<typeof createJobRefresh>;
