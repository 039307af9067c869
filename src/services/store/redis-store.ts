// The Redis store: key records under the `{keys}` hash tag, money and jobs under each team's
// `{t:TEAM}` tag, every money move one Lua script. Any Redis failure becomes
// GW_STORE_UNAVAILABLE, so callers fail closed: no Redis, no spend.
import { Redis, type Cluster, type Result } from 'ioredis';
import { errors } from '../../errors.js';
import { isAfter } from './job-cursor.js';
import { ACQUIRE_LEASE, ATTACH, RELEASE, RESERVE, SETTLE } from './lua-scripts.js';
import type {
  AttachRequest,
  AttachResult,
  ExpiredReservation,
  JobPage,
  JobRecord,
  ListJobsRequest,
  ReserveRequest,
  ReserveResult,
  SettleRequest,
  Spend,
  SpendQuery,
  Store,
  TeamKeyRecord,
} from './types.js';

type Arg = string | number;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    gwReserve(...args: Arg[]): Result<[number, number], Context>;
    gwRelease(...args: Arg[]): Result<number, Context>;
    gwAttach(...args: Arg[]): Result<AttachResult, Context>;
    gwSettle(...args: Arg[]): Result<number, Context>;
    gwAcquireLease(...args: Arg[]): Result<number, Context>;
  }
}

const SCRIPTS = {
  gwReserve: { numberOfKeys: 3, lua: RESERVE },
  gwRelease: { numberOfKeys: 3, lua: RELEASE },
  gwAttach: { numberOfKeys: 7, lua: ATTACH },
  gwSettle: { numberOfKeys: 3, lua: SETTLE },
  gwAcquireLease: { numberOfKeys: 1, lua: ACQUIRE_LEASE },
} as const;

const adminKeys = {
  key: (id: string) => `gw:{keys}:key:${id}`,
  hash: (hash: string) => `gw:{keys}:hash:${hash}`,
  index: 'gw:{keys}:index',
  teams: 'gw:{keys}:teams',
};

function teamKeys(team: string) {
  const tag = `gw:{t:${team}}`;
  return {
    spend: `${tag}:spend`,
    reservation: (id: string) => `${tag}:res:${id}`,
    leases: `${tag}:leases`,
    job: (id: string) => `${tag}:job:${id}`,
    pending: `${tag}:pending`,
    jobs: `${tag}:jobs`,
    keyJobs: (keyId: string) => `${tag}:jobs:key:${keyId}`,
  };
}

const JOB_FIELDS = ['keyId', 'model', 'reserved', 'createdAt', 'state', 'charged', 'body'] as const;

function toJobRecord(team: string, jobId: string, values: (string | null)[]): JobRecord | null {
  const [keyId, model, reserved, createdAt, state, charged, body] = values;
  if (!keyId || !model || !state) return null;
  return {
    jobId,
    team,
    keyId,
    model,
    reserved: Number(reserved),
    createdAt: Number(createdAt),
    state: state === 'settled' ? 'settled' : 'pending',
    charged: charged == null ? null : Number(charged),
    finalBody: body ?? null,
  };
}

export function createRedisStore(redis: Redis | Cluster): Store {
  for (const [name, definition] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, definition);
  }

  async function guarded<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (cause) {
      throw new errors.StoreUnavailable({ cause });
    }
  }

  async function readJobs(team: string, jobIds: string[]): Promise<JobRecord[]> {
    const keys = teamKeys(team);
    const rows = await Promise.all(jobIds.map((id) => redis.hmget(keys.job(id), ...JOB_FIELDS)));
    return rows.flatMap((row, i) => toJobRecord(team, jobIds[i]!, row) ?? []);
  }

  return {
    kind: 'redis',

    createKey: (record) =>
      guarded(async () => {
        await redis
          .multi()
          .set(adminKeys.key(record.id), JSON.stringify(record))
          .set(adminKeys.hash(record.hash), record.id)
          .zadd(adminKeys.index, Date.parse(record.createdAt), record.id)
          .sadd(adminKeys.teams, record.team)
          .exec();
      }),

    findKeyByHash: (hash) =>
      guarded(async () => {
        const id = await redis.get(adminKeys.hash(hash));
        if (!id) return null;
        const json = await redis.get(adminKeys.key(id));
        return json ? (JSON.parse(json) as TeamKeyRecord) : null;
      }),

    getKey: (id) =>
      guarded(async () => {
        const json = await redis.get(adminKeys.key(id));
        return json ? (JSON.parse(json) as TeamKeyRecord) : null;
      }),

    listKeys: () =>
      guarded(async () => {
        const ids = await redis.zrange(adminKeys.index, 0, -1);
        if (ids.length === 0) return [];
        const rows = await redis.mget(ids.map(adminKeys.key));
        return rows.flatMap((json) => (json ? [JSON.parse(json) as TeamKeyRecord] : []));
      }),

    saveKey: (record) =>
      guarded(async () => {
        await redis.set(adminKeys.key(record.id), JSON.stringify(record));
      }),

    reserve: (r: ReserveRequest) =>
      guarded(async (): Promise<ReserveResult> => {
        const keys = teamKeys(r.team);
        const [ok, available] = await redis.gwReserve(
          keys.spend,
          keys.reservation(r.reservationId),
          keys.leases,
          r.credits,
          r.keyId,
          r.keyBudget?.window ?? '',
          r.keyBudget?.limit ?? 0,
          r.teamBudget?.window ?? '',
          r.teamBudget?.limit ?? 0,
          r.windows.join(','),
          r.reservationId,
          r.model,
          r.now,
          r.leaseUntil,
        );
        return ok === 1 ? { ok: true } : { ok: false, available };
      }),

    release: (team, reservationId) =>
      guarded(() => {
        const keys = teamKeys(team);
        return redis.gwRelease(keys.spend, keys.reservation(reservationId), keys.leases, reservationId);
      }),

    attachJob: (r: AttachRequest) =>
      guarded(() => {
        const keys = teamKeys(r.team);
        return redis.gwAttach(
          keys.spend,
          keys.reservation(r.reservationId),
          keys.leases,
          keys.job(r.jobId),
          keys.pending,
          keys.jobs,
          keys.keyJobs(r.keyId),
          r.reservationId,
          r.jobId,
          r.now,
          r.keyId,
          r.model,
          r.windows.join(','),
        );
      }),

    settle: (r: SettleRequest) =>
      guarded(async () => {
        const keys = teamKeys(r.team);
        const settled = await redis.gwSettle(
          keys.spend,
          keys.job(r.jobId),
          keys.pending,
          r.jobId,
          r.status,
          r.credits,
          r.finalBody,
          r.now,
        );
        return settled === 1;
      }),

    getJob: (team, jobId) =>
      guarded(async () => {
        const values = await redis.hmget(teamKeys(team).job(jobId), ...JOB_FIELDS);
        return toJobRecord(team, jobId, values);
      }),

    listJobs: (r: ListJobsRequest) =>
      guarded(async (): Promise<JobPage> => {
        const keys = teamKeys(r.team);
        const index = r.keyId ? keys.keyJobs(r.keyId) : keys.jobs;
        const max = r.after ? r.after.createdAt : '+inf';
        // Redis orders ties by member, descending, as the cursor does; jobs created in the
        // cursor's millisecond are fetched again and skipped.
        const raw = await redis.zrange(index, max, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, r.limit + 1 + 16, 'WITHSCORES');
        const positions: { jobId: string; createdAt: number }[] = [];
        for (let i = 0; i < raw.length; i += 2) {
          const position = { jobId: raw[i]!, createdAt: Number(raw[i + 1]) };
          if (!r.after || isAfter(position, r.after)) positions.push(position);
        }
        const page = positions.slice(0, r.limit);
        return { jobs: await readJobs(r.team, page.map((p) => p.jobId)), hasMore: positions.length > r.limit };
      }),

    spend: (q: SpendQuery) =>
      guarded(async (): Promise<Spend> => {
        const fields = [...q.windows.map((w) => `key:${q.keyId}:${w}`), ...q.windows.map((w) => `team:${w}`)];
        const values = await redis.hmget(teamKeys(q.team).spend, ...fields);
        const spend: Spend = { key: {}, team: {} };
        q.windows.forEach((w, i) => {
          spend.key[w] = Number(values[i] ?? 0);
          spend.team[w] = Number(values[q.windows.length + i] ?? 0);
        });
        return spend;
      }),

    teams: () => guarded(() => redis.smembers(adminKeys.teams)),

    pendingJobs: (team, now, limit) =>
      guarded(async () =>
        readJobs(team, await redis.zrange(teamKeys(team).pending, '-inf', now, 'BYSCORE', 'LIMIT', 0, limit)),
      ),

    deferJob: (team, jobId, until) =>
      guarded(async () => {
        await redis.zadd(teamKeys(team).pending, 'XX', until, jobId);
      }),

    expiredReservations: (team, now, limit) =>
      guarded(async (): Promise<ExpiredReservation[]> => {
        const ids = await redis.zrange(teamKeys(team).leases, '-inf', now, 'BYSCORE', 'LIMIT', 0, limit);
        return ids.map((reservationId) => ({ reservationId, team }));
      }),

    acquireLease: (name, holder, ttlMs) =>
      guarded(async () => (await redis.gwAcquireLease(`gw:lease:${name}`, holder, ttlMs)) === 1),

    ping: () =>
      guarded(async () => {
        await redis.ping();
      }),

    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

export function connectRedis(url: string, commandTimeoutMs: number): Redis {
  return new Redis(url, {
    enableAutoPipelining: true,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
  });
}
