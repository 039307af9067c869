// Sending a job submission so that a job Apiframe made is never lost with its answer. Every
// submission carries an Idempotency-Key (the caller's, namespaced, or one of the gateway's own).
// When Apiframe may have made the job but its answer did not arrive whole (a timeout or a dropped
// connection after sending, or an acceptance that names no job), the submission is sent again
// with the same key: Apiframe answers with the job the first one made, or makes it now, and
// either way the caller gets the job it asked for and is billed for it. A submission that never
// left (no connection came free) is not replayed: nothing ran upstream.
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { idIn } from './upstream-errors.js';
import { UpstreamFailure, type SubmitOptions, type UpstreamClient, type UpstreamResponse } from './upstream.js';

/** Waits before each replay of a submission whose answer was lost. */
export const REPLAY_DELAYS_MS = [100, 500];

export interface SubmissionToSend {
  path: string;
  body: string;
  requestId: string;
  options: SubmitOptions & { idempotencyKey: string };
}

type Outcome = { response: UpstreamResponse } | { failure: UpstreamFailure };

const accepted = ({ status }: UpstreamResponse) => status >= 200 && status < 300;

/** Whether the outcome is Apiframe's acceptance, naming the job. */
const namesJob = (outcome: Outcome): outcome is { response: UpstreamResponse } =>
  'response' in outcome && accepted(outcome.response) && idIn(outcome.response.body, 'jobId') !== undefined;

/** Whether Apiframe may have made a job whose answer did not arrive. */
function answerLost(outcome: Outcome): boolean {
  if ('failure' in outcome) return outcome.failure.kind !== 'busy';
  return accepted(outcome.response) && !namesJob(outcome);
}

export function createSubmissionSender(deps: {
  upstream: Pick<UpstreamClient, 'submitJob'>;
  logger: Logger;
  metrics: Pick<Metrics, 'submissionReplay'>;
  /** How long a replay may wait for a free connection. */
  maxQueueMs: number;
}) {
  const { upstream, logger, metrics } = deps;

  async function attempt({ path, body, requestId }: SubmissionToSend, options: SubmitOptions): Promise<Outcome> {
    try {
      return { response: await upstream.submitJob(path, body, requestId, options) };
    } catch (failure) {
      if (!(failure instanceof UpstreamFailure)) throw failure;
      return { failure };
    }
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
      for (const delay of REPLAY_DELAYS_MS) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        const replay = await attempt(submission, { ...submission.options, maxQueueMs: deps.maxQueueMs });
        if (namesJob(replay)) {
          logger.warn({ requestId, lost }, 'submission answered on a replay after its answer was lost');
          metrics.submissionReplay('found');
          return replay.response;
        }
      }
      logger.error({ requestId, lost }, 'submission answer lost, and every replay failed');
      metrics.submissionReplay('failed');
    }
    if ('failure' in first) throw first.failure;
    return first.response;
  };
}

export type SubmissionSender = ReturnType<typeof createSubmissionSender>;
