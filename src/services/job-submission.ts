// The job pipeline: any operation described by a JobOperation runs the same steps. The caller is
// authenticated by the route; then the body is validated (its cross-field rules, the key's
// allowed models, the jobs it refers to, the caller's webhookUrl), priced, and with an
// Idempotency-Key run at most once. Running it reserves the price before anything is sent
// upstream, forwards the body (with the gateway's own webhook URL in place of the caller's),
// records the job Apiframe accepted, its reservation becoming the job's, and answers with
// Apiframe's own answer. Any refusal or failure releases the reservation. While this instance
// works on a submission it keeps the reservation's lease alive, so background settlement only
// ever releases the reservations of an instance that died.
import { randomUUID } from 'node:crypto';
import type { Static, TSchema } from '@sinclair/typebox';
import { errors, invalidInput, withExtras } from '../errors.js';
import type { Budget } from './budget-window.js';
import { windowOf, windowsAt } from './budget-window.js';
import type { Caller } from './caller.js';
import type { Clock } from './clock.js';
import type { GatewayAnswer } from './gateway-answer.js';
import { createIdempotency } from './idempotency.js';
import type { JobOperation, Pricing } from './job-operation.js';
import type { JobRecording } from './job-recording.js';
import type { JobSettlement } from './job-settlement.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { BudgetCheck, CallerWebhook, Store } from './store/types.js';
import type { UpstreamClient, UpstreamResponse } from './upstream.js';
import { acceptedJobId, asCallerError, releaseReason, upstreamRefusal } from './upstream-errors.js';
import type { UpstreamPause } from './upstream-pause.js';
import type { Webhooks } from './webhooks.js';

export interface JobSubmissionDeps {
  store: Store;
  upstream: UpstreamClient;
  pricing: Pricing;
  clock: Clock;
  reservationLeaseMs: number;
  /** How long a submission may wait, from its arrival, for a free connection to Apiframe. */
  maxQueueMs: number;
  webhooks: Pick<Webhooks, 'checkCallerUrl' | 'relayUrl'>;
  settlement: JobSettlement;
  recording: JobRecording;
  pause: UpstreamPause;
  logger: Logger;
  metrics: Pick<Metrics, 'credits'>;
}

export interface SubmissionAnswer extends GatewayAnswer {
  /** True when an Idempotency-Key's first answer was served again. */
  replayed: boolean;
}

/** One validated, priced submission, as it is run. */
interface Submission {
  operation: JobOperation;
  caller: Caller;
  /** What Apiframe receives: the caller's body with the gateway's webhook URL in place of theirs. */
  upstreamBody: unknown;
  model: string;
  credits: number;
  webhook: CallerWebhook | undefined;
  requestId: string;
}

interface WebhookFields {
  webhookUrl?: string;
  webhookEvents?: string[];
}

function budgetCheck(budget: Budget | null, now: number): BudgetCheck | null {
  return budget ? { window: windowOf(budget.period, now), limit: budget.credits } : null;
}

export function createJobSubmission(deps: JobSubmissionDeps) {
  const { store, upstream, pricing, clock, webhooks, settlement, recording, pause, logger, metrics } = deps;
  const idempotency = createIdempotency(store, { pendingTtlMs: deps.reservationLeaseMs });

  /** Runs `operation` for `caller` with a body its schema has already accepted. */
  async function submit<S extends TSchema>(
    operation: JobOperation<S>,
    caller: Caller,
    body: Static<S>,
    requestId: string,
    idempotencyKey?: string,
  ): Promise<SubmissionAnswer> {
    await validate(operation, caller, body);
    const model = operation.model(body);
    const credits = operation.price(body, pricing);
    const { upstreamBody, webhook } = await relayedWebhook(operation, caller, body);
    const submission: Submission = { operation, caller, upstreamBody, model, credits, webhook, requestId };
    if (idempotencyKey === undefined) return { ...(await run(submission)), replayed: false };
    const { team, id: keyId } = caller.key;
    return idempotency.run({ team, keyId, idempotencyKey, body }, (upstreamKey) => run(submission, upstreamKey));
  }

  async function validate<S extends TSchema>(
    operation: JobOperation<S>,
    caller: Caller,
    body: Static<S>,
  ): Promise<void> {
    const details = operation.crossFieldErrors?.(body) ?? {};
    if (Object.keys(details).length > 0) throw invalidInput(details);
    const model = operation.model(body);
    if (caller.key.allowedModels && !caller.key.allowedModels.includes(model)) throw new errors.ModelNotAllowed(model);
    for (const jobId of operation.jobReferences?.(body) ?? []) {
      if (!(await store.getJob(caller.key.team, jobId))) throw new errors.JobNotFound();
    }
  }

  /** Apiframe calls the gateway back; the caller's own URL stays with the job. */
  async function relayedWebhook(operation: JobOperation, caller: Caller, body: unknown) {
    const { webhookUrl, webhookEvents } = body as WebhookFields;
    if (!operation.webhooks || webhookUrl === undefined) return { upstreamBody: body, webhook: undefined };
    await webhooks.checkCallerUrl(webhookUrl);
    return {
      upstreamBody: { ...(body as object), webhookUrl: webhooks.relayUrl(caller.key.team) },
      webhook: { url: webhookUrl, events: webhookEvents ?? [] },
    };
  }

  /** Reserve → forward → attach → answer; the reservation is released on any refusal or failure. */
  async function run(submission: Submission, upstreamKey?: string): Promise<GatewayAnswer> {
    const { caller, model, credits, webhook, requestId } = submission;
    const { team, id: keyId } = caller.key;
    pause.refuseWhilePaused();
    const deadlineAt = Date.now() + deps.maxQueueMs;
    const { reservationId, windows, budgets } = await reserve(submission);
    const lease = keepLeaseAlive(team, reservationId);
    try {
      const sending = { maxQueueMs: deadlineAt - Date.now(), ...(upstreamKey && { idempotencyKey: upstreamKey }) };
      const { response, jobId } = await forward(submission, sending, async (error) => {
        const release = { team, reservationId, day: windows[0]!, requestId, now: clock(), why: releaseReason(error) };
        await settlement.releaseQuietly(release, model);
      });
      await recording.recordAccepted({
        reservationId,
        jobId,
        team,
        keyId,
        model,
        windows,
        credits,
        ...budgets,
        now: clock(),
        requestId,
        ...(webhook && { webhook }),
      });
      return { status: response.status, body: response.body };
    } finally {
      lease.stop();
    }
  }

  /** Reserves the submission's price from the key's and team's budgets; a 402 when they cannot cover it. */
  async function reserve({ caller, model, credits, requestId }: Submission) {
    const { key } = caller;
    const now = clock();
    const windows = windowsAt(now);
    const reservationId = randomUUID();
    const budgets = { keyBudget: budgetCheck(key.budget, now), teamBudget: budgetCheck(caller.teamBudget, now) };
    const reservation = await store.reserve({
      reservationId,
      team: key.team,
      keyId: key.id,
      model,
      credits,
      windows,
      ...budgets,
      now,
      requestId,
      leaseUntil: now + deps.reservationLeaseMs,
    });
    if (!reservation.ok) {
      const available = reservation.available;
      throw withExtras(new errors.InsufficientCredits(), { creditsRequired: credits, creditsAvailable: available });
    }
    metrics.credits('reserved', key.team, model, credits);
    return { reservationId, windows, budgets };
  }

  /**
   * Sends a submission to Apiframe; on any refusal or failure, `onFailure` runs before the
   * caller's error is thrown.
   */
  async function forward(
    { operation, upstreamBody, requestId }: Submission,
    options: { maxQueueMs: number; idempotencyKey?: string },
    onFailure: (error: unknown) => Promise<void>,
  ): Promise<{ response: UpstreamResponse; jobId: string }> {
    try {
      const response = await upstream.submitJob(operation.path, JSON.stringify(upstreamBody), requestId, {
        operation: operation.name,
        ...options,
      });
      if (response.status !== 202 && response.status !== 200 && response.status !== 201) {
        pause.heard(response);
        throw upstreamRefusal(response);
      }
      return { response, jobId: acceptedJobId(response.body) };
    } catch (error) {
      await onFailure(error);
      throw asCallerError(error);
    }
  }

  /** Renews a reservation's lease while this instance works on it, so only a dead instance's leases run out. */
  function keepLeaseAlive(team: string, reservationId: string): { stop(): void } {
    const renew = () =>
      store
        .renewLease(team, reservationId, clock() + deps.reservationLeaseMs)
        .catch((error: unknown) => {
          logger.warn({ err: error, team, reservationId }, 'reservation lease renewal failed');
        });
    const timer = setInterval(renew, deps.reservationLeaseMs / 3);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }

  return { submit };
}

export type JobSubmission = ReturnType<typeof createJobSubmission>;
