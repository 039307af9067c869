// Jobs on Redis: one hash per job under its team's tag, zsets by creation (the team's, each
// key's) and by next check (pending), and a short lock per job for the poller asking Apiframe.
import type { JobRecord } from '../../../domain/jobs.js';
import { adminKeys, pageOfIndex, teamKeys, type RedisContext } from '../redis-context.js';
import type { RequestQuota } from '../../../domain/request-limits.js';
import { countInputs } from '../request-limits/redis.js';
import type { CountedPoll, Jobs, PollDecision } from './contract.js';
import { POLL_JOB } from './lua.js';

const JOB_FIELDS = [
  'keyId',
  'model',
  'reserved',
  'createdAt',
  'state',
  'charged',
  'body',
  'windows',
  'webhookUrl',
  'webhookEvents',
  'eph',
] as const;

function toJobRecord(team: string, jobId: string, values: (string | null | undefined)[]): JobRecord | null {
  const [keyId, model, reserved, createdAt, state, charged, body, windows, webhookUrl, webhookEvents, eph] = values;
  if (!keyId || !model || !state || !windows) return null;
  return {
    jobId,
    team,
    keyId,
    model,
    reserved: Number(reserved),
    createdAt: Number(createdAt),
    day: windows.split(',')[0]!,
    state: state === 'settled' ? 'settled' : 'pending',
    charged: charged == null ? null : Number(charged),
    finalBody: body || null,
    webhook: webhookUrl ? { url: webhookUrl, events: webhookEvents ? webhookEvents.split(',') : [] } : null,
    ...(eph && { ephemeralId: eph }),
  };
}

/** A POLL_JOB reply's decision about `jobId`, null when the job is unknown (or the poll over its quota). */
function toDecision(team: string, jobId: string, reply: string[]): PollDecision | null {
  const [action, body, bodyAt, ...fields] = reply;
  const record = action
    ? toJobRecord(
        team,
        jobId,
        fields.map((field) => (field === '' ? null : field)),
      )
    : null;
  if (!record) return null;
  if (action === 'fetch' || action === 'due')
    return { action, record, stale: body ? { body, at: Number(bodyAt) } : null };
  if (action === 'wait') return { action, record };
  return { action: action as 'final' | 'snapshot', record, body: body! };
}

export function createRedisJobs({ redis, guarded }: RedisContext): Jobs {
  const poll = (
    team: string,
    jobId: string,
    now: number,
    snapshotMaxAgeMs: number,
    lockMs: number,
    quota: RequestQuota | undefined,
  ): Promise<CountedPoll> =>
    guarded(async () => {
      const keys = teamKeys(team);
      const inputs = { jobHash: keys.job(jobId), fetchLock: keys.pollLock(jobId), now, snapshotMaxAgeMs, lockMs };
      const { count, resetMs, decision } = await POLL_JOB.run(redis, { ...inputs, ...countInputs(team, quota) });
      return { counted: { count, resetMs }, decision: toDecision(team, jobId, decision) };
    });

  async function readJobs(team: string, jobIds: string[]): Promise<JobRecord[]> {
    const keys = teamKeys(team);
    const rows = await Promise.all(jobIds.map((id) => redis.hmget(keys.job(id), ...JOB_FIELDS)));
    return rows.flatMap((row, i) => toJobRecord(team, jobIds[i]!, row) ?? []);
  }

  return {
    getJob: (team, jobId) =>
      guarded(async () => toJobRecord(team, jobId, await redis.hmget(teamKeys(team).job(jobId), ...JOB_FIELDS))),

    pollJob: async (team, jobId, now, snapshotMaxAgeMs, lockMs) =>
      (await poll(team, jobId, now, snapshotMaxAgeMs, lockMs, undefined)).decision,

    countedPollJob: poll,

    saveSnapshot: (team, jobId, body, now) =>
      guarded(async () => {
        const keys = teamKeys(team);
        await redis.multi().hset(keys.job(jobId), 'snapshot', body, 'snapshotAt', now).del(keys.pollLock(jobId)).exec();
      }),

    listJobs: (r) =>
      guarded(async () => {
        const keys = teamKeys(r.team);
        const { ids, hasMore } = await pageOfIndex(
          redis,
          r.ephemeralId ? keys.ephemeralJobs(r.ephemeralId) : r.keyId ? keys.keyJobs(r.keyId) : keys.jobs,
          r.after,
          r.limit,
        );
        return { jobs: await readJobs(r.team, ids), hasMore };
      }),

    jobsCreatedBetween: (team, fromMs, toMs) =>
      guarded(async () => readJobs(team, await redis.zrange(teamKeys(team).jobs, fromMs, `(${toMs}`, 'BYSCORE'))),

    pendingJobs: (team, now, limit) =>
      guarded(async () =>
        readJobs(team, await redis.zrange(teamKeys(team).pending, '-inf', now, 'BYSCORE', 'LIMIT', 0, limit)),
      ),

    deferJob: (team, jobId, until) =>
      guarded(async () => {
        await redis.zadd(teamKeys(team).pending, 'XX', until, jobId);
      }),

    pendingJobCount: () =>
      guarded(async () => {
        const teams = await redis.smembers(adminKeys.teams);
        const counts = await Promise.all(teams.map((team) => redis.zcard(teamKeys(team).pending)));
        return counts.reduce((sum, count) => sum + count, 0);
      }),
  };
}
