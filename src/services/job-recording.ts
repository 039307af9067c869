// Recording the jobs Apiframe accepted. Apiframe runs an accepted job whatever happens here, so
// the caller always gets its jobId: a store that keeps failing is retried briefly, then every
// second in the background, before the job is polled, acted on or reported by Apiframe's webhook
// on this instance, and once more at shutdown.
import { createBackgroundPass } from './background-pass.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { AttachRequest, AttachResult } from './store/credits/contract.js';
import type { Store } from './store/store.js';

export interface JobRecordingDeps {
  store: Store;
  logger: Logger;
  metrics: Pick<Metrics, 'credits'>;
}

/** Waits before retrying to record a job Apiframe accepted; then the retry pass tries it every UNRECORDED_RETRY_MS. */
const ATTACH_RETRY_DELAYS_MS = [50, 250, 1_000];
/** How often jobs the store could not record are tried again. */
export const UNRECORDED_RETRY_MS = 1_000;

/** Counts what recording a job did to the credits: a duplicate's release, a lapsed reservation's retake. */
function noteAttached(
  { logger, metrics }: Omit<JobRecordingDeps, 'store'>,
  request: AttachRequest,
  attached: AttachResult,
) {
  const { team, model, credits, requestId, jobId } = request;
  if (attached.state === 'duplicate') metrics.credits('released', team, model, attached.released);
  if (attached.state !== 'retaken') return;
  // Background settlement released the reservation: this instance outlived its lease (a stall?).
  metrics.credits('reserved', team, model, credits - attached.overrun);
  metrics.credits('overrun', team, model, attached.overrun);
  logger.warn(
    { requestId, jobId, team, model, overrun: attached.overrun },
    'reservation lapsed before its job was recorded; its price was counted again',
  );
}

/**
 * The jobs this instance accepted that the store could not record yet: tried again every
 * UNRECORDED_RETRY_MS, before one is polled, acted on or reported by Apiframe's webhook, and once
 * more at shutdown. Such a request and a retry pass share one attempt.
 */
function createUnrecordedJobs(deps: JobRecordingDeps) {
  const { store, logger } = deps;
  const unrecorded = new Map<string, AttachRequest>();
  const attempts = new Map<string, Promise<void>>();

  function recordAgain(request: AttachRequest): Promise<void> {
    let attempt = attempts.get(request.jobId);
    if (!attempt) {
      attempt = store
        .attachJob(request)
        .then((attached) => {
          noteAttached(deps, request, attached);
          unrecorded.delete(request.jobId);
        })
        .finally(() => attempts.delete(request.jobId));
      attempts.set(request.jobId, attempt);
    }
    return attempt;
  }

  /** Records the accepted jobs the store refused before; each that still fails waits for the next pass. */
  async function recordUnrecorded(): Promise<void> {
    const outcomes = await Promise.all(
      [...unrecorded.values()].map((request) =>
        recordAgain(request).then(
          () => null,
          (error: unknown) => ({ jobId: request.jobId, error }),
        ),
      ),
    );
    const failed = outcomes.filter((outcome) => outcome !== null);
    if (failed.length === 0) return;
    // One line a pass, however many jobs wait: an outage must not flood the log.
    const jobIds = failed.slice(0, 10).map(({ jobId }) => jobId);
    logger.warn({ err: failed[0]!.error, count: failed.length, jobIds }, 'accepted jobs still not recorded');
  }

  const retries = createBackgroundPass(recordUnrecorded, logger, 'recording accepted jobs failed');

  return {
    add: (request: AttachRequest) => unrecorded.set(request.jobId, request),

    /**
     * Records `team`'s job `jobId` now when this instance accepted it and could not record it yet,
     * so that a poll, an action on it or Apiframe's webhook finds it rather than "not found";
     * throws the store's error when the store still refuses.
     */
    async recordIfUnrecorded(team: string, jobId: string): Promise<void> {
      const request = unrecorded.get(jobId);
      if (request?.team === team) await recordAgain(request);
    },

    start: () => retries.start(UNRECORDED_RETRY_MS),

    /** Tries once more to record jobs; those still unrecorded are logged as lost. */
    async close(): Promise<void> {
      await retries.stop();
      if (unrecorded.size === 0) return;
      await recordUnrecorded();
      for (const { requestId, jobId, team, keyId, reservationId } of unrecorded.values()) {
        logger.error(
          { requestId, jobId, team, keyId, reservationId },
          'accepted job lost at shutdown: reconciliation lists it as unrecorded',
        );
      }
    },
  };
}

export function createJobRecording(deps: JobRecordingDeps) {
  const { store, logger } = deps;
  const { add, ...waiting } = createUnrecordedJobs(deps);

  /** Records an accepted job, its reservation becoming the job's; kept for later passes when the store fails. */
  async function recordAccepted(request: AttachRequest): Promise<void> {
    for (const delay of [...ATTACH_RETRY_DELAYS_MS, null]) {
      try {
        noteAttached(deps, request, await store.attachJob(request));
        return;
      } catch (error) {
        if (delay === null) {
          add(request);
          const { requestId, jobId, team, keyId, reservationId } = request;
          logger.error(
            { err: error, requestId, jobId, team, keyId, reservationId },
            'accepted job could not be recorded yet; tried again every second',
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  return { recordAccepted, ...waiting };
}

export type JobRecording = ReturnType<typeof createJobRecording>;
