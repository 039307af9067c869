// Recording the jobs Apiframe accepted. Apiframe runs an accepted job whatever happens here, so
// the caller always gets its jobId: a store that keeps failing is retried briefly, then on
// every background settlement pass, and once more at shutdown.
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

export function createJobRecording(deps: JobRecordingDeps) {
  const { store, logger, metrics } = deps;
  /** Jobs Apiframe accepted that the store could not record yet, by job id. */
  const unrecorded = new Map<string, AttachRequest>();

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

  /** Records the accepted jobs the store refused before; each that still fails waits for the next pass. */
  async function recordUnrecorded(): Promise<void> {
    for (const request of unrecorded.values()) {
      try {
        noteAttached(request, await store.attachJob(request));
        unrecorded.delete(request.jobId);
      } catch (error) {
        const { requestId, jobId, team } = request;
        logger.warn({ err: error, requestId, jobId, team }, 'accepted job still not recorded');
      }
    }
  }

  /** Tries once more to record jobs; those still unrecorded are logged as lost. */
  async function close(): Promise<void> {
    if (unrecorded.size === 0) return;
    await recordUnrecorded();
    for (const { requestId, jobId, team, keyId, reservationId } of unrecorded.values()) {
      logger.error(
        { requestId, jobId, team, keyId, reservationId },
        'accepted job lost at shutdown: reconciliation lists it as unrecorded',
      );
    }
  }

  return { recordAccepted, recordUnrecorded, close };
}

export type JobRecording = ReturnType<typeof createJobRecording>;
