// Recording the jobs Apiframe accepted. Apiframe runs an accepted job whatever happens here, so
// the caller always gets its jobId: a store that keeps failing is retried briefly, then every
// second in the background, before a poll of the job on this instance, and once more at shutdown.
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

/** Waits before retrying to record a job Apiframe accepted; then background settlement's passes retry it. */
const ATTACH_RETRY_DELAYS_MS = [50, 250, 1_000];
/** How often jobs the store could not record are tried again. */
export const UNRECORDED_RETRY_MS = 1_000;

export function createJobRecording(deps: JobRecordingDeps) {
  const { store, logger, metrics } = deps;
  /** Jobs Apiframe accepted that the store could not record yet, by job id. */
  const unrecorded = new Map<string, AttachRequest>();
  /** Attempts to record an unrecorded job, by job id, so that a poll and a retry pass share one. */
  const attempts = new Map<string, Promise<void>>();

  /** Records an accepted job, its reservation becoming the job's; kept for later passes when the store fails. */
  async function recordAccepted(request: AttachRequest): Promise<void> {
    for (const delay of [...ATTACH_RETRY_DELAYS_MS, null]) {
      try {
        noteAttached(request, await store.attachJob(request));
        return;
      } catch (error) {
        if (delay === null) {
          unrecorded.set(request.jobId, request);
          const { requestId, jobId, team, keyId, reservationId } = request;
          logger.error(
            { err: error, requestId, jobId, team, keyId, reservationId },
            'accepted job could not be recorded yet; retried on every reconciler pass',
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  function noteAttached(request: AttachRequest, attached: AttachResult): void {
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

  function recordAgain(request: AttachRequest): Promise<void> {
    let attempt = attempts.get(request.jobId);
    if (!attempt) {
      attempt = store
        .attachJob(request)
        .then((attached) => {
          noteAttached(request, attached);
          unrecorded.delete(request.jobId);
        })
        .finally(() => attempts.delete(request.jobId));
      attempts.set(request.jobId, attempt);
    }
    return attempt;
  }

  /** Records the accepted jobs the store refused before; each that still fails waits for the next pass. */
  async function recordUnrecorded(): Promise<void> {
    const pending = [...unrecorded.values()].map((request) =>
      recordAgain(request).catch((error: unknown) => {
        const { requestId, jobId, team } = request;
        logger.warn({ err: error, requestId, jobId, team }, 'accepted job still not recorded');
      }),
    );
    await Promise.all(pending);
  }

  /**
   * Records `team`'s job `jobId` now when this instance accepted it and could not record it yet,
   * so that a poll finds it rather than answering "not found"; throws the store's error when the
   * store still refuses.
   */
  async function recordBeforePoll(team: string, jobId: string): Promise<void> {
    const request = unrecorded.get(jobId);
    if (request?.team === team) await recordAgain(request);
  }

  const retries = createBackgroundPass(recordUnrecorded, logger, 'recording accepted jobs failed');

  /** Tries once more to record jobs; those still unrecorded are logged as lost. */
  async function close(): Promise<void> {
    await retries.stop();
    if (unrecorded.size === 0) return;
    await recordUnrecorded();
    for (const { requestId, jobId, team, keyId, reservationId } of unrecorded.values()) {
      logger.error(
        { requestId, jobId, team, keyId, reservationId },
        'accepted job lost at shutdown: reconciliation lists it as unrecorded',
      );
    }
  }

  return {
    recordAccepted,
    recordUnrecorded,
    recordBeforePoll,
    start: () => retries.start(UNRECORDED_RETRY_MS),
    close,
  };
}

export type JobRecording = ReturnType<typeof createJobRecording>;
