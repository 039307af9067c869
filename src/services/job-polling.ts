// Polls of a job and the states of listed jobs. Finished jobs are served from the store; a state
// fetched less than a second ago is shared; otherwise one poller at a time, across instances,
// refreshes it from Apiframe (job-refresh.ts), settling the job when it has finished. That poller
// waits for its refresh (at most freshWaitMs, then it answers the last state and the refresh goes
// on in the background), so a client polling alone sees each state as Apiframe does; polls that
// arrive meanwhile get the last state seen at once. Only before there is a state (or when it is
// older than STALE_MAX_AGE_MS) do they all wait for Apiframe.
// A poll with a request quota is counted in its first read of the job, in the same store call.
// A job this instance accepted but could not record yet (job-recording.ts) is recorded first.
import { errors } from '../errors.js';
import type { Caller } from './caller.js';
import type { Clock } from './clock.js';
import type { GatewayAnswer } from './gateway-answer.js';
import { acceptedJob } from './job-bodies.js';
import type { JobRecording } from './job-recording.js';
import type { JobRefresh } from './job-refresh.js';
import type { Logger } from './logger.js';
import { admitCounted, type RequestLimit } from './request-limits.js';
import type { JobRecord } from '../domain/jobs.js';
import type { Store } from './store/store.js';
import type { UpstreamPause } from './upstream-pause.js';

export interface JobPollingDeps {
  store: Store;
  refresher: Pick<JobRefresh, 'refresh' | 'refreshWithin'>;
  recording: Pick<JobRecording, 'recordIfUnrecorded'>;
  pause: Pick<UpstreamPause, 'paused' | 'refuseWhilePaused'>;
  clock: Clock;
  /** How long one poller may hold the right to ask Apiframe about a job. */
  pollLockMs: number;
  /** How long the poller refreshing a job waits for Apiframe before it answers the last state seen. */
  freshWaitMs: number;
  logger: Logger;
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
/** The longest the poller refreshing a job waits for Apiframe (less when UPSTREAM_TIMEOUT_MS is). */
export const FRESH_STATE_WAIT_MS = 2_000;

/**
 * With the right to ask Apiframe: the fresh state. A recent enough last state is answered instead
 * when the refresh takes longer than `freshWaitMs` (it goes on in the background) or fails (a
 * state a few seconds old serves a poller better than an error); `waiting` hears it first, so that
 * polls sharing this one need not wait. An older state, or none, waits for Apiframe.
 */
async function refreshAsPoll(
  { refresher, clock, freshWaitMs, logger }: Pick<JobPollingDeps, 'refresher' | 'clock' | 'freshWaitMs' | 'logger'>,
  record: JobRecord,
  stale: KnownState | null,
  requestId: string,
  waiting?: (lastState: string) => void,
): Promise<string> {
  if (!stale || clock() - stale.at > STALE_MAX_AGE_MS) return refresher.refresh(record, requestId);
  waiting?.(stale.body);
  try {
    return (await refresher.refreshWithin(record, requestId, freshWaitMs)) ?? stale.body;
  } catch (error) {
    logger.warn({ err: error, requestId, jobId: record.jobId, team: record.team }, 'job refresh failed');
    return stale.body;
  }
}

/** Polls of one job, which wait for another poller's fetch rather than ask Apiframe twice. */
function createPoll(deps: JobPollingDeps) {
  const { store, refresher, recording, pause, clock } = deps;
  const pollsInFlight = new Map<string, { answer: Promise<GatewayAnswer>; lastState: Promise<GatewayAnswer> }>();

  /**
   * A poll of a team's job, counted in `limit` when given. Concurrent polls of one job in this
   * process share one poll, but for counted ones: each is counted in its own read. Those sharing
   * a poll that waits for a refresh get the last state at once, as polls on other instances do.
   */
  async function poll(caller: Caller, jobId: string, requestId: string, limit?: RequestLimit): Promise<GatewayAnswer> {
    await recording.recordIfUnrecorded(caller.key.team, jobId);
    // An ephemeral key sees only the jobs it created: any other is unknown to it.
    if (caller.ephemeral && (await store.getJob(caller.key.team, jobId))?.ephemeralId !== caller.ephemeral.id) {
      throw new errors.JobNotFound();
    }
    if (limit) return pollOnce(caller.key.team, jobId, requestId, limit);
    const flight = `${caller.key.team}|${jobId}`;
    const running = pollsInFlight.get(flight);
    if (running) return Promise.race([running.answer, running.lastState]);
    let waiting: (lastState: string) => void = () => undefined;
    const lastState = new Promise<GatewayAnswer>((resolve) => {
      waiting = (body) => resolve({ status: 200, body });
    });
    const answer = pollOnce(caller.key.team, jobId, requestId, undefined, waiting).finally(() =>
      pollsInFlight.delete(flight),
    );
    pollsInFlight.set(flight, { answer, lastState });
    return answer;
  }

  /** The job's poll decision, counting the poll in `limit` first when given (a 429 over the quota). */
  async function decide(team: string, jobId: string, limit: RequestLimit | undefined) {
    if (!limit) return store.pollJob(team, jobId, clock(), SNAPSHOT_MAX_AGE_MS, deps.pollLockMs);
    const { counted, decision } = await store.countedPollJob(
      team,
      jobId,
      clock(),
      SNAPSHOT_MAX_AGE_MS,
      deps.pollLockMs,
      limit,
    );
    admitCounted(limit, counted);
    return decision;
  }

  async function pollOnce(
    team: string,
    jobId: string,
    requestId: string,
    limit?: RequestLimit,
    waiting?: (lastState: string) => void,
  ): Promise<GatewayAnswer> {
    const giveUpAt = Date.now() + deps.pollLockMs;
    for (let uncounted = limit; ; uncounted = undefined) {
      const decision = await decide(team, jobId, uncounted);
      if (!decision) throw new errors.JobNotFound();
      if (decision.action === 'final' || decision.action === 'snapshot') return { status: 200, body: decision.body };
      pause.refuseWhilePaused();
      if (decision.action === 'wait' && Date.now() < giveUpAt) {
        await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
        continue;
      }
      if (decision.action === 'fetch') {
        return { status: 200, body: await refreshAsPoll(deps, decision.record, decision.stale, requestId, waiting) };
      }
      return { status: 200, body: await refresher.refresh(decision.record, requestId) };
    }
  }

  return poll;
}

/** The states of listed jobs, which never wait on other pollers. */
function createListedStates(deps: JobPollingDeps) {
  const { store, pause, clock, logger } = deps;

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
    const states = looks.map((look, i) =>
      typeof look === 'string' ? look : (look.lastSeen?.body ?? acceptedJob(records[i]!)),
    );
    const refreshing = pause.paused() ? [] : dueFirst(looks).slice(0, budget.upstreamReads);
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
      return await refreshAsPoll(deps, decision.record, decision.stale, requestId);
    } catch (error) {
      logger.warn({ err: error, requestId, jobId: record.jobId, team: record.team }, 'listed job refresh failed');
      return asLastSeen;
    }
  }

  return listedStates;
}

export function createJobPolling(deps: JobPollingDeps) {
  return { poll: createPoll(deps), listedStates: createListedStates(deps) };
}

export type JobPolling = ReturnType<typeof createJobPolling>;
