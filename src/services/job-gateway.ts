// The generate → poll → settle loop. A generation reserves its price before anything is sent
// upstream; the reservation becomes the job's when Apiframe accepts it and is released on any
// refusal or failure. While an instance works on a submission it keeps the reservation's lease
// alive, so the reconciler only ever releases the reservations of an instance that died. A job
// is settled exactly once, when it is first seen in a terminal state.
import { randomUUID } from 'node:crypto';
import { errors, invalidInput, withExtras } from '../errors.js';
import type { Budget } from '../domain/budgets.js';
import { windowOf, windowsAt } from '../domain/budgets.js';
import type { Clock } from './clock.js';
import { acceptedJob } from './job-bodies.js';
import type { Metrics } from './metrics.js';
import type { BudgetCheck } from '../domain/budgets.js';
import { parseJob, TERMINAL_STATUSES, type CallerWebhook, type JobRecord } from '../domain/jobs.js';
import type { TeamKeyRecord } from '../domain/keys.js';
import type { AttachRequest, AttachResult, ReleaseRequest } from './store/credits/contract.js';
import type { Store } from './store/store.js';
import { UpstreamFailure, type UpstreamClient, type UpstreamResponse } from './upstream.js';

export interface Caller {
  key: TeamKeyRecord;
  teamBudget: Budget | null;
}

export interface GatewayAnswer {
  status: number;
  /** JSON text exactly as Apiframe sent it. */
  body: string;
}

export interface Logger {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface JobGatewayDeps {
  store: Store;
  upstream: UpstreamClient;
  pricing: Readonly<Record<string, number>>;
  clock: Clock;
  reservationLeaseMs: number;
  /** How long a submission may wait, from its arrival, for a free connection to Apiframe. */
  maxQueueMs: number;
  /** How long one poller may hold the right to ask Apiframe about a job. */
  pollLockMs: number;
  logger: Logger;
  metrics: Pick<Metrics, 'credits'>;
}

/** How many upstream reads one listing may still cause. */
export interface ListingBudget {
  upstreamReads: number;
}

interface KnownState {
  body: string;
  at: number;
}

/** A listed job's state as the store serves it, or, when a refresh is due, the last one seen. */
type ListingLook = string | { lastSeen: KnownState | null };

/** The listed jobs due for a refresh: those never seen first, then the longest unseen. */
function dueFirst(looks: ListingLook[]): { index: number; lastSeen: KnownState | null }[] {
  return looks
    .flatMap((look, index) => (typeof look === 'string' ? [] : [{ index, lastSeen: look.lastSeen }]))
    .sort((a, b) => (a.lastSeen?.at ?? -Infinity) - (b.lastSeen?.at ?? -Infinity));
}

/** Polls within this long of a fetch share its answer. */
const SNAPSHOT_MAX_AGE_MS = 1_000;
/** An older state is refreshed, but served meanwhile when younger than this. */
const STALE_MAX_AGE_MS = 30_000;
const WAIT_STEP_MS = 25;
/** Waits before retrying to record a job Apiframe accepted; then the reconciler's passes retry it. */
const ATTACH_RETRY_DELAYS_MS = [50, 250, 1_000];

export function budgetCheck(budget: Budget | null, now: number): BudgetCheck | null {
  return budget ? { window: windowOf(budget.period, now), limit: budget.credits } : null;
}

export function createJobGateway(deps: JobGatewayDeps) {
  const { store, upstream, pricing, clock, logger, metrics } = deps;
  const pollsInFlight = new Map<string, Promise<GatewayAnswer>>();
  const backgroundRefreshes = new Set<Promise<void>>();
  /** Jobs Apiframe accepted that the store could not record yet, by job id. */
  const unrecorded = new Map<string, AttachRequest>();
  let upstreamPausedUntil = 0;
  store.onChange((event) => {
    if (event !== 'resync' && event.kind === 'upstream-backoff') upstreamPausedUntil = Math.max(upstreamPausedUntil, event.until);
  });

  /**
   * Submits a generation. `body` is what Apiframe receives (with the gateway's own webhook URL
   * in place of the caller's, which `options.webhook` keeps with the job).
   */
  async function submit(
    caller: Caller,
    body: { model: string },
    requestId: string,
    options: { idempotencyKey?: string; webhook?: CallerWebhook } = {},
  ): Promise<GatewayAnswer> {
    const { key } = caller;
    refuseWhileUpstreamPaused();
    const deadlineAt = Date.now() + deps.maxQueueMs;
    const credits = pricing[body.model]!;
    const now = clock();
    const windows = windowsAt(now);
    const reservationId = randomUUID();
    const budgets = { keyBudget: budgetCheck(key.budget, now), teamBudget: budgetCheck(caller.teamBudget, now) };
    const reservation = await store.reserve({
      reservationId,
      team: key.team,
      keyId: key.id,
      model: body.model,
      credits,
      windows,
      ...budgets,
      now,
      requestId,
      leaseUntil: now + deps.reservationLeaseMs,
    });
    if (!reservation.ok) {
      throw withExtras(new errors.InsufficientCredits(), {
        creditsRequired: credits,
        creditsAvailable: reservation.available,
      });
    }
    metrics.credits('reserved', key.team, body.model, credits);

    const lease = keepLeaseAlive(key.team, reservationId);
    try {
      const sending = { maxQueueMs: deadlineAt - Date.now(), ...(options.idempotencyKey && { idempotencyKey: options.idempotencyKey }) };
      const { response, jobId } = await forward(body, requestId, sending, async (error) => {
        const release = { team: key.team, reservationId, day: windows[0]!, requestId, now: clock(), why: releaseReason(error) };
        await releaseQuietly(release, body.model);
      });
      await recordAccepted({
        reservationId,
        jobId,
        team: key.team,
        keyId: key.id,
        model: body.model,
        windows,
        credits,
        ...budgets,
        now: clock(),
        requestId,
        ...(options.webhook && { webhook: options.webhook }),
      });
      return { status: response.status, body: response.body };
    } finally {
      lease.stop();
    }
  }

  /** Sends a submission to Apiframe; on any refusal or failure, `onFailure` runs before the caller's error is thrown. */
  async function forward(
    body: { model: string },
    requestId: string,
    options: { maxQueueMs: number; idempotencyKey?: string },
    onFailure: (error: unknown) => Promise<void>,
  ): Promise<{ response: UpstreamResponse; jobId: string }> {
    try {
      const response = await upstream.submitGenerate(JSON.stringify(body), requestId, {
        ...(options.idempotencyKey && { idempotencyKey: options.idempotencyKey }),
        maxQueueMs: options.maxQueueMs,
      });
      if (response.status !== 202 && response.status !== 200 && response.status !== 201) {
        if (response.status === 429) pauseUpstream(response.retryAfter);
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
        .catch((error: unknown) => logger.warn({ err: error, team, reservationId }, 'reservation lease renewal failed'));
    const timer = setInterval(renew, deps.reservationLeaseMs / 3);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }

  /**
   * Records a job Apiframe accepted. Apiframe runs it whatever happens here, so the caller always
   * gets its jobId: a store that keeps failing is retried briefly, then on every reconciler pass.
   */
  async function recordAccepted(request: AttachRequest): Promise<void> {
    for (const delay of [...ATTACH_RETRY_DELAYS_MS, null]) {
      try {
        noteAttached(request, await store.attachJob(request));
        return;
      } catch (error) {
        if (delay === null) {
          unrecorded.set(request.jobId, request);
          const { requestId, jobId, team, keyId, reservationId } = request;
          logger.error({ err: error, requestId, jobId, team, keyId, reservationId }, 'accepted job could not be recorded yet; retried on every reconciler pass');
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
    // The reconciler released the reservation: this instance outlived its lease (a stall?).
    metrics.credits('reserved', team, model, credits - attached.overrun);
    metrics.credits('overrun', team, model, attached.overrun);
    logger.warn({ requestId, jobId, team, model, overrun: attached.overrun }, 'reservation lapsed before its job was recorded; its price was counted again');
  }

  /** Records the accepted jobs the store refused before; each that still fails waits for the next pass. */
  async function recordUnrecorded(): Promise<void> {
    for (const request of unrecorded.values()) {
      try {
        noteAttached(request, await store.attachJob(request));
        unrecorded.delete(request.jobId);
      } catch (error) {
        logger.warn({ err: error, requestId: request.requestId, jobId: request.jobId, team: request.team }, 'accepted job still not recorded');
      }
    }
  }

  /**
   * A poll. Finished jobs are served from the store; a state fetched less than a second ago is
   * shared; otherwise one poller at a time, across instances, refreshes it from Apiframe. Polls
   * get the last state seen meanwhile, the refreshing one too, which refreshes in the background;
   * only before there is a state (or when it is older than STALE_MAX_AGE_MS) do they wait for
   * Apiframe. Concurrent polls of one job in this process share one promise.
   */
  function poll(caller: Caller, jobId: string, requestId: string): Promise<GatewayAnswer> {
    const flight = `${caller.key.team}|${jobId}`;
    const running = pollsInFlight.get(flight);
    if (running) return running;
    const polling = pollOnce(caller.key.team, jobId, requestId).finally(() => pollsInFlight.delete(flight));
    pollsInFlight.set(flight, polling);
    return polling;
  }

  async function pollOnce(team: string, jobId: string, requestId: string): Promise<GatewayAnswer> {
    const giveUpAt = Date.now() + deps.pollLockMs;
    for (;;) {
      const decision = await store.pollJob(team, jobId, clock(), SNAPSHOT_MAX_AGE_MS, deps.pollLockMs);
      if (!decision) throw new errors.JobNotFound();
      if (decision.action === 'final' || decision.action === 'snapshot') return { status: 200, body: decision.body };
      refuseWhileUpstreamPaused();
      if (decision.action === 'wait' && Date.now() < giveUpAt) {
        await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
        continue;
      }
      if (decision.action === 'fetch') return { status: 200, body: await refreshAsPoll(decision.record, decision.stale, requestId) };
      return { status: 200, body: await refresh(decision.record, requestId) };
    }
  }

  /** With the right to ask Apiframe: a recent enough state is served at once and refreshed in the background. */
  async function refreshAsPoll(record: JobRecord, stale: KnownState | null, requestId: string): Promise<string> {
    if (stale && clock() - stale.at <= STALE_MAX_AGE_MS) {
      refreshInBackground(record, requestId);
      return stale.body;
    }
    return refresh(record, requestId);
  }

  /**
   * The states of listed jobs, in order, as polls would serve them, without waiting on other
   * pollers: settled and fresh ones from the store; the others are refreshed through the poll
   * path (one refresh per job per second across instances, none while Apiframe asks for a
   * pause) while `budget.upstreamReads` lasts, those never seen first, then the longest unseen,
   * so that repeated listings reach every job. The rest are served as last seen, or as Apiframe
   * accepted them when never seen.
   */
  async function listedStates(records: JobRecord[], requestId: string, budget: ListingBudget): Promise<string[]> {
    const looks = await Promise.all(records.map((record) => record.finalBody ?? lookAt(record)));
    const states = looks.map((look, i) => (typeof look === 'string' ? look : (look.lastSeen?.body ?? acceptedJob(records[i]!))));
    const refreshing = upstreamPaused() ? [] : dueFirst(looks).slice(0, budget.upstreamReads);
    budget.upstreamReads -= refreshing.length;
    await Promise.all(
      refreshing.map(async ({ index, lastSeen }) => {
        states[index] = await readAsPoll(records[index]!, lastSeen, requestId);
      }),
    );
    return states;
  }

  /** The job's state when the store can serve it as a poll would, else the last state seen (if any). */
  async function lookAt(record: JobRecord): Promise<ListingLook> {
    const decision = await store.pollJob(record.team, record.jobId, clock(), SNAPSHOT_MAX_AGE_MS, 0);
    if (decision?.action === 'final' || decision?.action === 'snapshot') return decision.body;
    return { lastSeen: decision?.action === 'due' ? decision.stale : null };
  }

  /** One poll of a listed job that never waits: while another poller fetches, the job is served as last seen. */
  async function readAsPoll(record: JobRecord, lastSeen: KnownState | null, requestId: string): Promise<string> {
    const asLastSeen = lastSeen?.body ?? acceptedJob(record);
    try {
      const decision = await store.pollJob(record.team, record.jobId, clock(), SNAPSHOT_MAX_AGE_MS, deps.pollLockMs);
      if (decision?.action === 'final' || decision?.action === 'snapshot') return decision.body;
      if (decision?.action !== 'fetch') return asLastSeen;
      return await refreshAsPoll(decision.record, decision.stale, requestId);
    } catch (error) {
      logger.warn({ err: error, requestId, jobId: record.jobId, team: record.team }, 'listed job refresh failed');
      return asLastSeen;
    }
  }

  /** Asks Apiframe for a job's state: settles the job if it has finished, else shares the state. */
  async function refresh(record: JobRecord, requestId: string): Promise<string> {
    const body = await fetchJob(record.jobId, requestId);
    if (!(await settleIfTerminal(record, body, requestId))) await store.saveSnapshot(record.team, record.jobId, body, clock());
    return body;
  }

  function refreshInBackground(record: JobRecord, requestId: string): void {
    const refreshing = refresh(record, requestId).then(
      () => undefined,
      (error: unknown) => logger.warn({ err: error, requestId, jobId: record.jobId, team: record.team }, 'background job refresh failed'),
    );
    backgroundRefreshes.add(refreshing);
    void refreshing.finally(() => backgroundRefreshes.delete(refreshing));
  }

  const upstreamPaused = () => upstreamPausedUntil > Date.now();

  /** Apiframe said 429: nobody here calls it again before its Retry-After has passed. */
  function refuseWhileUpstreamPaused(): void {
    const waitMs = upstreamPausedUntil - Date.now();
    if (waitMs > 0) throw withExtras(new errors.UpstreamRateLimited(), { retryAfter: String(Math.ceil(waitMs / 1000)) });
  }

  function pauseUpstream(retryAfter: string | undefined): void {
    const seconds = Number(retryAfter);
    const until = Date.now() + (Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000);
    if (until <= upstreamPausedUntil) return;
    upstreamPausedUntil = until;
    store.publishChange({ kind: 'upstream-backoff', until }).catch(() => undefined);
  }

  /** The job's current state from Apiframe, as JSON text; errors mapped for the caller. */
  async function fetchJob(jobId: string, requestId: string): Promise<string> {
    try {
      const response = await upstream.getJob(jobId, requestId);
      if (response.status === 404) throw new errors.JobNotFound();
      if (response.status === 429) pauseUpstream(response.retryAfter);
      if (response.status !== 200) throw upstreamRefusal(response);
      return response.body;
    } catch (error) {
      throw asCallerError(error);
    }
  }

  /**
   * Settles `record` when `body` (a job, or a webhook event) shows a terminal state; true when
   * this call settled it. `finalBody`, the job as GET /v2/jobs/{id} shows it, serves later polls.
   */
  async function settleIfTerminal(record: JobRecord, body: string, requestId: string, finalBody = body): Promise<boolean> {
    const job = parseJob(body);
    if (!job || !TERMINAL_STATUSES.has(job.status)) return false;
    const completed = job.status === 'COMPLETED';
    const credits = completed ? (job.creditCost ?? pricing[record.model] ?? record.reserved) : 0;
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
    if (settled) metrics.credits(completed ? 'settled' : 'refunded', record.team, record.model, completed ? credits - overrun : record.reserved);
    if (overrun > 0) {
      metrics.credits('overrun', record.team, record.model, overrun);
      logger.warn(
        { requestId, jobId: record.jobId, team: record.team, model: record.model, charged: credits, reserved: record.reserved, overrun },
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

  async function releaseQuietly(request: ReleaseRequest, model: string): Promise<void> {
    try {
      await release(request, model);
    } catch (error) {
      // The reservation keeps its lease; the reconciler releases it when the lease runs out.
      logger.warn({ err: error, requestId: request.requestId, reservationId: request.reservationId }, 'release failed; left to the reconciler');
    }
  }

  /** Waits for the refreshes still running in the background, and tries once more to record jobs. */
  async function close(): Promise<void> {
    await Promise.all(backgroundRefreshes);
    if (unrecorded.size === 0) return;
    await recordUnrecorded();
    for (const { requestId, jobId, team, keyId, reservationId } of unrecorded.values()) {
      logger.error({ requestId, jobId, team, keyId, reservationId }, 'accepted job lost at shutdown: reconciliation lists it as unrecorded');
    }
  }

  return { submit, poll, listedStates, fetchJob, settleIfTerminal, release, recordUnrecorded, close };
}

export type JobGateway = ReturnType<typeof createJobGateway>;

function acceptedJobId(body: string): string {
  const parsed = parseJson(body) as { jobId?: unknown } | undefined;
  if (typeof parsed?.jobId !== 'string' || parsed.jobId.length === 0 || parsed.jobId.length > 128) {
    throw new errors.UpstreamUnavailable();
  }
  return parsed.jobId;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** An upstream answer that is not a success, as the error the caller should see. */
export function upstreamRefusal(response: UpstreamResponse): Error {
  const { status } = response;
  if (status === 401 || status === 403) return new errors.UpstreamCredentials();
  if (status === 402) return new errors.UpstreamOutOfCredits();
  if (status === 429) return withExtras(new errors.UpstreamRateLimited(), { retryAfter: response.retryAfter ?? '1' });
  if (status === 400 || status === 422) return validationFromUpstream(response.body);
  return new errors.UpstreamUnavailable();
}

/** Apiframe rejected the input: pass its message and details on, and nothing else. */
function validationFromUpstream(body: string): Error {
  const parsed = parseJson(body) as { error?: unknown; details?: unknown } | undefined;
  const fields = parsed?.details && typeof parsed.details === 'object' ? Object.entries(parsed.details) : [];
  // Built with fromEntries: a field named `__proto__` stays a field.
  return invalidInput(
    Object.fromEntries(
      fields.flatMap(([path, messages]) => (Array.isArray(messages) ? [[path, messages.filter((m): m is string => typeof m === 'string')]] : [])),
    ),
  );
}

/** Why a reservation was returned, for its ledger entry. */
function releaseReason(error: unknown): string {
  if (error instanceof UpstreamFailure) return `upstream ${error.kind}`;
  const code = (error as { code?: string }).code;
  return code ? `refused: ${code}` : 'refused';
}

export function asCallerError(error: unknown): unknown {
  if (error instanceof UpstreamFailure) {
    return error.kind === 'unreachable' ? new errors.UpstreamUnavailable() : new errors.UpstreamTimeout();
  }
  return error;
}
