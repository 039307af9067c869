// The job pipeline: any operation described by a JobOperation runs the same steps. The caller is
// authenticated by the route; then the body is checked (its cross-field rules, the key's
// allowed models), priced (refused when the operator has set no price), its references checked
// (the jobs it works on must be the team's), its webhookUrl checked, and with an
// Idempotency-Key run at most once. Running it reserves the price before anything is sent
// upstream (job-reservation.ts), forwards the body with the gateway's own webhook URL in place
// of the caller's and an Idempotency-Key, replayed when its answer is lost
// (submission-replays.ts), records the job Apiframe accepted (job-recording.ts), its reservation
// becoming the job's, and answers with Apiframe's own answer. Any refusal or failure releases
// the reservation. The key's request quota is counted in the reservation's own store call, or,
// when the submission reads the store before (an Idempotency-Key, jobs or objects it names), in
// a call of its own before those reads: a body refused before it reaches the store is not counted.
import type { Static, TSchema } from '@sinclair/typebox';
import { errors, invalidInput } from '../errors.js';
import { callerKeyId, type Caller } from './caller.js';
import type { Clock } from './clock.js';
import type { GatewayAnswer } from './gateway-answer.js';
import { createIdempotency } from './idempotency.js';
import { checkObjectReferences } from './object-references.js';
import type { JobOperation, ObjectReferences } from './job-operation.js';
import type { JobRecording } from './job-recording.js';
import type { JobReservation } from './job-reservation.js';
import type { JobSettlement } from './job-settlement.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { PriceSource } from './prices.js';
import { admitOnItsOwn, type RequestLimit } from './request-limits.js';
import type { CallerWebhook } from '../domain/jobs.js';
import type { Store } from './store/store.js';
import { createSubmissionSender, type SubmissionSender } from './submission-replays.js';
import type { UpstreamClient, UpstreamResponse } from './upstream.js';
import { acceptedId, asCallerError, releaseReason, upstreamRefusal } from './upstream-errors.js';
import type { UpstreamPause } from './upstream-pause.js';
import type { Webhooks } from './webhooks.js';

export interface JobSubmissionDeps {
  store: Store;
  upstream: UpstreamClient;
  prices: PriceSource;
  /** The models and actions the gateway offers (absent: all); others are answered as unknown. */
  enabledModels?: ReadonlySet<string>;
  clock: Clock;
  /** How long a submission may hold its Idempotency-Key before another may take it over. */
  reservationLeaseMs: number;
  /** How long a submission may wait, from its arrival, for a free connection to Apiframe. */
  maxQueueMs: number;
  webhooks: Pick<Webhooks, 'checkCallerUrl' | 'relayUrl'>;
  reservation: JobReservation;
  settlement: Pick<JobSettlement, 'releaseQuietly'>;
  recording: Pick<JobRecording, 'recordAccepted' | 'recordIfUnrecorded'>;
  pause: Pick<UpstreamPause, 'heard' | 'refuseWhilePaused'>;
  logger: Logger;
  metrics: Pick<Metrics, 'submissionReplay'>;
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
  /** The quota the reservation counts the submission in; none when counted already (or unlimited). */
  limit: RequestLimit | undefined;
}

export function createJobSubmission(deps: JobSubmissionDeps) {
  const { store, prices, clock, webhooks, reservation, settlement, recording, pause } = deps;
  const idempotency = createIdempotency(store, { pendingTtlMs: deps.reservationLeaseMs });
  const send = createSubmissionSender(deps);

  /** Runs `operation` for `caller` with a body its schema has already accepted, counted in `limit`. */
  async function submit<S extends TSchema>(
    operation: JobOperation<S>,
    caller: Caller,
    body: Static<S>,
    requestId: string,
    idempotencyKey?: string,
    limit?: RequestLimit,
  ): Promise<SubmissionAnswer> {
    const model = operation.model(body);
    if (deps.enabledModels && !deps.enabledModels.has(model)) throw notOffered(model);
    checkRules(operation, caller, body, model);
    const credits = operation.price(body, await prices.current());
    const references = referencesIn(operation, body);
    // A webhookUrl's host is looked up in DNS before the reservation: an Idempotency-Key's record
    // and named jobs or objects are read from the store. Each is work an over-quota caller must not get.
    const checksAHost = typeof (body as { webhookUrl?: unknown }).webhookUrl === 'string';
    const worksFirst = idempotencyKey !== undefined || checksAHost || namesAny(references);
    const reservedWith = await countBeforeReserving(store, caller, limit, worksFirst);
    await checkReferences(deps, caller, references);
    const { upstreamBody, webhook } = await relayedWebhook(webhooks, operation, caller, body);
    const submission = { operation, caller, upstreamBody, model, credits, webhook, requestId, limit: reservedWith };
    if (idempotencyKey === undefined) return { ...(await run(submission)), replayed: false };
    const idempotent = { team: caller.key.team, keyId: callerKeyId(caller), idempotencyKey, body };
    return idempotency.run(idempotent, (upstreamKey) => run(submission, upstreamKey));
  }

  /** Reserve → forward → attach → answer; the reservation is released on any refusal or failure. */
  async function run(submission: Submission, upstreamKey?: string): Promise<GatewayAnswer> {
    const { caller, model, credits, webhook, requestId, limit } = submission;
    const { team, id: keyId } = caller.key;
    pause.refuseWhilePaused();
    const startedAt = Date.now();
    const deadlineAt = startedAt + deps.maxQueueMs;
    const { reservationId, windows, budgets } = await reservation.reserve(caller, model, credits, requestId, limit);
    const lease = reservation.keepLeaseAlive(team, reservationId);
    try {
      // Without the caller's key, one of the gateway's own lets a lost answer be asked for again.
      const sending = {
        maxQueueMs: deadlineAt - Date.now(),
        idempotencyKey: upstreamKey ?? `gw_${reservationId}`,
        // The caller's Idempotency-Key is held for this long (createIdempotency's pendingTtlMs).
        endBy: startedAt + deps.reservationLeaseMs,
      };
      const { response, jobId } = await forward({ send, pause }, submission, sending, async (error) => {
        const release = { team, reservationId, day: windows[0]!, requestId, now: clock(), why: releaseReason(error) };
        await settlement.releaseQuietly(release, model);
      });
      const now = clock();
      const attach = { reservationId, jobId, team, keyId, model, windows, credits, ...budgets, now, requestId };
      await recording.recordAccepted({ ...attach, ...(webhook && { webhook }), ...ephemeralOf(caller) });
      return { status: response.status, body: response.body };
    } finally {
      lease.stop();
    }
  }

  return { submit };
}

export type JobSubmission = ReturnType<typeof createJobSubmission>;

/**
 * Sends a submission to Apiframe; on any refusal or failure, `onFailure` runs before the
 * caller's error is thrown.
 */
async function forward(
  { send, pause }: { send: SubmissionSender; pause: Pick<UpstreamPause, 'heard'> },
  { operation, upstreamBody, requestId }: Submission,
  { endBy, ...options }: { maxQueueMs: number; idempotencyKey: string; endBy: number },
  onFailure: (error: unknown) => Promise<void>,
): Promise<{ response: UpstreamResponse; jobId: string }> {
  try {
    const body = JSON.stringify(upstreamBody);
    const sending = { operation: operation.name, ...options };
    const response = await send({ path: operation.path, body, requestId, options: sending, endBy });
    if (response.status !== 202 && response.status !== 200 && response.status !== 201) {
      pause.heard(response);
      throw upstreamRefusal(response);
    }
    return { response, jobId: acceptedId(response.body, 'jobId') };
  } catch (error) {
    await onFailure(error);
    throw asCallerError(error);
  }
}

/** The ephemeral key a job is recorded for, when one submitted it. */
const ephemeralOf = (caller: Caller) =>
  caller.ephemeral && {
    ephemeralId: caller.ephemeral.id,
    ephemeralExpiresAt: Date.parse(caller.ephemeral.expiresAt),
  };

/** Refuses a body its operation's own rules reject, or a model the key may not use. */
function checkRules<S extends TSchema>(operation: JobOperation<S>, caller: Caller, body: Static<S>, model: string) {
  const details = operation.crossFieldErrors?.(body) ?? {};
  if (Object.keys(details).length > 0) throw invalidInput(details);
  if (caller.key.allowedModels && !caller.key.allowedModels.includes(model)) throw new errors.ModelNotAllowed(model);
}

/** A model or action the operator has not enabled, refused as Apiframe refuses an unknown one. */
function notOffered(name: string) {
  return invalidInput({ [name.includes(':') ? 'action' : 'model']: [`${name} is not offered by this gateway`] });
}

interface References {
  jobs: string[];
  objects: ObjectReferences;
}

/** The jobs, uploads and LoRAs a body names. */
function referencesIn<S extends TSchema>(operation: JobOperation<S>, body: Static<S>): References {
  return { jobs: operation.jobReferences?.(body) ?? [], objects: operation.objectReferences?.(body) ?? {} };
}

/** Whether checking references reads the store. */
function namesAny({ jobs, objects }: References): boolean {
  return jobs.length > 0 || (objects.loras?.length ?? 0) > 0 || (objects.urls?.length ?? 0) > 0;
}

/**
 * Counts a submission in `limit` now when it does work before its reservation would count it;
 * the limit left for the reservation to count in.
 */
async function countBeforeReserving(
  store: Store,
  caller: Caller,
  limit: RequestLimit | undefined,
  worksFirst: boolean,
): Promise<RequestLimit | undefined> {
  if (!limit || !worksFirst) return limit;
  await admitOnItsOwn(store, caller.key.team, limit);
  return undefined;
}

/**
 * Refuses references to a job, upload or LoRA of another team, or none, as not found; an
 * ephemeral key sees only its own jobs.
 */
async function checkReferences(
  { store, recording }: Pick<JobSubmissionDeps, 'store' | 'recording'>,
  caller: Caller,
  { jobs, objects }: References,
): Promise<void> {
  for (const jobId of jobs) {
    await recording.recordIfUnrecorded(caller.key.team, jobId);
    const job = await store.getJob(caller.key.team, jobId);
    if (!job || (caller.ephemeral && job.ephemeralId !== caller.ephemeral.id)) throw new errors.JobNotFound();
  }
  await checkObjectReferences(store, caller.key.team, objects);
}

interface WebhookFields {
  webhookUrl?: string;
  webhookEvents?: string[];
}

/** Apiframe calls the gateway back; the caller's own URL (checked here) stays with the job. */
async function relayedWebhook(
  webhooks: JobSubmissionDeps['webhooks'],
  operation: JobOperation,
  caller: Caller,
  body: unknown,
): Promise<{ upstreamBody: unknown; webhook: CallerWebhook | undefined }> {
  const { webhookUrl, webhookEvents } = body as WebhookFields;
  if (!operation.webhooks || webhookUrl === undefined) return { upstreamBody: body, webhook: undefined };
  await webhooks.checkCallerUrl(webhookUrl);
  return {
    upstreamBody: { ...(body as object), webhookUrl: webhooks.relayUrl(caller.key.team) },
    webhook: { url: webhookUrl, events: webhookEvents ?? [] },
  };
}
