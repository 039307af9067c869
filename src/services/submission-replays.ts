// Sending a job submission so that a job Apiframe made is never lost with its answer. Every
// submission carries an Idempotency-Key (the caller's, namespaced, or one of the gateway's own).
// When Apiframe may have made the job but its answer did not arrive whole (a timeout or a dropped
// connection after sending, or an acceptance that names no job), the submission is sent again
// with the same key: Apiframe's spec promises a repeat the job the first one made, or it makes
// it now, and either way the caller gets the job it asked for and is billed for it. A
// submission that never left (no connection was free, or none could be made) is not replayed:
// nothing ran upstream. Replays stop in time for the submission to end while its caller's
// Idempotency-Key is still held for it, and at Apiframe's 429.
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { idIn } from './upstream-errors.js';
import type { UpstreamPause } from './upstream-pause.js';
import { UpstreamFailure, type SubmitOptions, type UpstreamClient, type UpstreamResponse } from './upstream.js';

/** Waits before each replay of a submission whose answer was lost. */
export const REPLAY_DELAYS_MS = [100, 500];

export interface SubmissionToSend {
  path: string;
  body: string;
  requestId: string;
  options: SubmitOptions & { idempotencyKey: string };
  /** When the submission must be over (its Idempotency-Key is held for it until then). */
  endBy: number;
}

type Outcome = { response: UpstreamResponse } | { failure: UpstreamFailure };

const accepted = ({ status }: UpstreamResponse) => status >= 200 && status < 300;

/** Whether the answer is Apiframe's acceptance, naming the job. */
const namesJob = (response: UpstreamResponse) => accepted(response) && idIn(response.body, 'jobId') !== undefined;

/** Whether Apiframe may have made a job whose answer did not arrive. */
function answerLost(outcome: Outcome): boolean {
  if ('failure' in outcome) return outcome.failure.mayHaveArrived;
  return accepted(outcome.response) && !namesJob(outcome.response);
}

export function createSubmissionSender(deps: {
  upstream: Pick<UpstreamClient, 'submitJob'>;
  pause: Pick<UpstreamPause, 'heard'>;
  logger: Logger;
  metrics: Pick<Metrics, 'submissionReplay'>;
  /** How long a call may wait for a connection, and then for Apiframe's answer (UPSTREAM_TIMEOUT_MS). */
  maxQueueMs: number;
}) {
  const { upstream, pause, logger, metrics } = deps;

  async function attempt({ path, body, requestId }: SubmissionToSend, options: SubmitOptions): Promise<Outcome> {
    try {
      return { response: await upstream.submitJob(path, body, requestId, options) };
    } catch (failure) {
      if (!(failure instanceof UpstreamFailure)) throw failure;
      return { failure };
    }
  }

  /** Replays after a lost answer until one names the job; null when none does. */
  async function replay(submission: SubmissionToSend): Promise<UpstreamResponse | null> {
    for (const delay of REPLAY_DELAYS_MS) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      // A replay waits for a connection only as long as still lets Apiframe's answer come by endBy.
      const room = Math.min(deps.maxQueueMs, submission.endBy - deps.maxQueueMs - Date.now());
      if (room < 0) return null;
      const outcome = await attempt(submission, { ...submission.options, maxQueueMs: room });
      if ('failure' in outcome) continue;
      if (namesJob(outcome.response)) return outcome.response;
      pause.heard(outcome.response);
      if (outcome.response.status === 429) return null;
    }
    return null;
  }

  /**
   * Apiframe's answer to the submission. After a lost answer, the first replay that names the job
   * is the answer; when none does, the first outcome stands (the job may then run upstream
   * unbilled: reconciliation lists it).
   */
  return async function send(submission: SubmissionToSend): Promise<UpstreamResponse> {
    const first = await attempt(submission, submission.options);
    if (answerLost(first)) {
      const { requestId } = submission;
      const lost = 'failure' in first ? first.failure : `HTTP ${first.response.status} naming no job`;
      const found = await replay(submission);
      if (found) {
        logger.warn({ requestId, lost }, 'submission answered on a replay after its answer was lost');
        metrics.submissionReplay('found');
        return found;
      }
      logger.error({ requestId, lost }, 'submission answer lost, and every replay failed');
      metrics.submissionReplay('failed');
    }
    if ('failure' in first) throw first.failure;
    return first.response;
  };
}

export type SubmissionSender = ReturnType<typeof createSubmissionSender>;
