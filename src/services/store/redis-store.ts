// The Redis store: key records under the `{keys}` hash tag, money and jobs under each team's
// `{t:TEAM}` tag, every money move one Lua script. Any Redis failure becomes
// GW_STORE_UNAVAILABLE, so callers fail closed: no Redis, no spend.
import { createHash } from 'node:crypto';
import { Cluster, Redis, type Result } from 'ioredis';
import { errors } from '../../errors.js';
import { isAfter, type Position } from './cursor.js';
import { ACQUIRE_LEASE, ATTACH, BEAT, CLAIM_DELIVERIES, CLAIM_IDEMPOTENCY, POLL_JOB, RELEASE, RESERVE, SAVE_KEY, SAVE_TEAM, SETTLE } from './lua-scripts.js';
import { windowOf } from '../../domain/budgets.js';
import type { BudgetCheck } from '../../domain/budgets.js';
import type { ChangeEvent } from '../../domain/changes.js';
import type { WebhookDelivery } from '../../domain/deliveries.js';
import type { JobRecord } from '../../domain/jobs.js';
import type { AuditEntry, StoredAuditEntry, TeamKeyRecord, TeamRecord } from '../../domain/keys.js';
import { emptyAggregateCell, type AggregateCell, type LedgerEntry, type LedgerKind } from '../../domain/ledger.js';
import type { ExpiredReservation } from '../../domain/reservations.js';
import type {
  AttachRequest,
  ChangeListener,
  AttachResult,
  IdempotencyClaim,
  JobPage,
  PollDecision,
  ListJobsRequest,
  Movement,
  ReleaseRequest,
  ReserveRequest,
  ReserveResult,
  SettleRequest,
  SettleResult,
  Spend,
  SpendQuery,
  Store,
} from './types.js';

type Arg = string | number;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    gwReserve(...args: Arg[]): Result<[number, number], Context>;
    gwRelease(...args: Arg[]): Result<number, Context>;
    gwAttach(...args: Arg[]): Result<[AttachResult['state'], number], Context>;
    gwSettle(...args: Arg[]): Result<[number, number], Context>;
    gwAcquireLease(...args: Arg[]): Result<number, Context>;
    gwSaveKey(...args: Arg[]): Result<number, Context>;
    gwSaveTeam(...args: Arg[]): Result<number, Context>;
    gwClaimIdempotency(...args: Arg[]): Result<string[], Context>;
    gwPollJob(...args: Arg[]): Result<string[], Context>;
    gwClaimDeliveries(...args: Arg[]): Result<string[], Context>;
    gwBeat(...args: Arg[]): Result<null, Context>;
  }
}

const SCRIPTS = {
  gwReserve: { numberOfKeys: 5, lua: RESERVE },
  gwRelease: { numberOfKeys: 5, lua: RELEASE },
  gwAttach: { numberOfKeys: 9, lua: ATTACH },
  gwSettle: { numberOfKeys: 5, lua: SETTLE },
  gwAcquireLease: { numberOfKeys: 1, lua: ACQUIRE_LEASE },
  gwSaveKey: { numberOfKeys: 10, lua: SAVE_KEY },
  gwSaveTeam: { numberOfKeys: 4, lua: SAVE_TEAM },
  gwClaimIdempotency: { numberOfKeys: 1, lua: CLAIM_IDEMPOTENCY },
  gwPollJob: { numberOfKeys: 2, lua: POLL_JOB },
  gwClaimDeliveries: { numberOfKeys: 1, lua: CLAIM_DELIVERIES },
  gwBeat: { numberOfKeys: 1, lua: BEAT },
} as const;

const SCRIPT_SHAS = Object.values(SCRIPTS).map((script) => createHash('sha1').update(script.lua).digest('hex'));
const CHANGES_CHANNEL = 'gw:changes';
/** Every instance publishes a beat on the change channel this often. */
const BEAT_MS = 200;
/** Cached records are trusted only while some message arrived this recently (three beats missed). */
const SILENCE_MS = 600;
const HEALTH_TIMEOUT_MS = 1_000;

/** A message on the change channel: a change (numbered when a save script sent it) or a beat. */
type Announcement = (ChangeEvent | { kind: 'beat' }) & { seq?: number };

const adminKeys = {
  key: (id: string) => `gw:{keys}:key:${id}`,
  hash: (hash: string) => `gw:{keys}:hash:${hash}`,
  index: 'gw:{keys}:index',
  teamIndex: (team: string) => `gw:{keys}:team-keys:${team}`,
  team: (id: string) => `gw:{keys}:team:${id}`,
  teams: 'gw:{keys}:teams',
  origins: 'gw:{keys}:origins',
  audit: 'gw:{keys}:audit',
  /** The number of the last change announced. */
  changes: 'gw:{keys}:changes',
  /** Stands in for an unused key argument, in the same hash slot. */
  unused: 'gw:{keys}:unused',
};

function teamKeys(team: string) {
  const tag = `gw:{t:${team}}`;
  return {
    spend: `${tag}:spend`,
    ledger: `${tag}:ledger`,
    aggregate: (day: string) => `${tag}:agg:${day}`,
    reservation: (id: string) => `${tag}:res:${id}`,
    leases: `${tag}:leases`,
    job: (id: string) => `${tag}:job:${id}`,
    pending: `${tag}:pending`,
    jobs: `${tag}:jobs`,
    keyJobs: (keyId: string) => `${tag}:jobs:key:${keyId}`,
    idempotency: (keyId: string, key: string) => `${tag}:idem:${keyId}:${key}`,
    pollLock: (jobId: string) => `${tag}:poll-lock:${jobId}`,
    delivery: (id: string) => `${tag}:delivery:${id}`,
    deliveries: `${tag}:deliveries`,
  };
}

const JOB_FIELDS = ['keyId', 'model', 'reserved', 'createdAt', 'state', 'charged', 'body', 'windows', 'webhookUrl', 'webhookEvents'] as const;

function toJobRecord(team: string, jobId: string, values: (string | null | undefined)[]): JobRecord | null {
  const [keyId, model, reserved, createdAt, state, charged, body, windows, webhookUrl, webhookEvents] = values;
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
  };
}

function toLedgerEntry(team: string, id: string, fields: string[]): LedgerEntry {
  const value: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) value[fields[i]!] = fields[i + 1]!;
  return {
    id,
    ts: Number(value.ts),
    team,
    kind: value.kind as LedgerKind,
    keyId: value.key ?? '',
    model: value.model ?? '',
    credits: Number(value.credits),
    jobId: value.job ?? '',
    reservationId: value.reservation ?? '',
    requestId: value.request ?? '',
    day: value.day ?? '',
    note: value.note ?? '',
  };
}

/** The budget arguments of RESERVE and ATTACH: keyWindow, keyLimit, teamWindow, teamLimit ('' = unlimited). */
function budgetArgs(r: { keyBudget: BudgetCheck | null; teamBudget: BudgetCheck | null }): Arg[] {
  return [r.keyBudget?.window ?? '', r.keyBudget?.limit ?? 0, r.teamBudget?.window ?? '', r.teamBudget?.limit ?? 0];
}

/** Aggregate hash fields `<keyId>|<model>|<metric>` as one cell per key and model. */
export function toAggregateCells(team: string, day: string, fields: Record<string, string>): AggregateCell[] {
  const cells = new Map<string, AggregateCell>();
  for (const [field, value] of Object.entries(fields)) {
    const [keyId = '', model = '', metric = ''] = field.split('|');
    const id = `${keyId}|${model}`;
    let cell = cells.get(id);
    if (!cell) cells.set(id, (cell = emptyAggregateCell(day, team, keyId, model)));
    if (metric in cell && metric !== 'day') (cell as unknown as Record<string, number>)[metric] = Number(value);
  }
  return [...cells.values()];
}

/**
 * A Redis failure fit to log. ioredis attaches the failed command and its arguments to the
 * error, and the arguments of a key save hold the key's hash (which signs relayed webhooks).
 */
function withoutArguments(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const safe = new Error(error.message);
  safe.name = error.name;
  safe.stack = error.stack;
  return safe;
}

export interface RedisStoreOptions {
  /** How long ledger entries are kept (aggregates are kept for ever). */
  ledgerRetentionMs: number;
  /** Called for every failed command (to count them). */
  onFailure?: () => void;
}

export function createRedisStore(redis: Redis | Cluster, options: RedisStoreOptions): Store {
  for (const [name, definition] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, definition);
  }

  async function guarded<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (cause) {
      options.onFailure?.();
      throw new errors.StoreUnavailable({ cause: withoutArguments(cause) });
    }
  }

  /** Loads any money script a Redis node has lost (after a restart without persistence, say). */
  async function ensureScripts(): Promise<void> {
    const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
    await Promise.all(
      nodes.map(async (node) => {
        const loaded = (await node.script('EXISTS', ...SCRIPT_SHAS)) as number[];
        const missing = Object.values(SCRIPTS).filter((_, i) => loaded[i] !== 1);
        await Promise.all(missing.map((script) => node.script('LOAD', script.lua)));
      }),
    );
  }

  /** The KEYS and ARGV every money script starts with. */
  function money(team: string, day: string, movement: Movement) {
    const keys = teamKeys(team);
    return {
      keys: [keys.spend, keys.ledger, keys.aggregate(day)],
      args: [movement.requestId, movement.now, options.ledgerRetentionMs],
    };
  }

  /** Ids of a zset index scored by createdAt, newest first, strictly after `after`. */
  async function pageOfIndex(index: string, after: Position | undefined, limit: number) {
    // Redis orders ties by member, descending, as cursors do; members in the cursor's
    // millisecond are fetched again and skipped.
    const max = after ? after.createdAt : '+inf';
    const raw = await redis.zrange(index, max, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, limit + 1 + 16, 'WITHSCORES');
    const ids: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const position = { id: raw[i]!, createdAt: Number(raw[i + 1]) };
      if (!after || isAfter(position, after)) ids.push(position.id);
    }
    return { ids: ids.slice(0, limit), hasMore: ids.length > limit };
  }

  async function readJson<T>(key: string): Promise<T | null> {
    const json = await redis.get(key);
    return json ? (JSON.parse(json) as T) : null;
  }

  // Change notifications arrive on a connection of their own, numbered by the script that saved
  // the change, between beats that every instance publishes with the last number. A connection
  // can fall silent without a word (half-open, or a Cluster subscriber that moved to another node
  // by itself), so cached records are trusted only while messages keep arriving, and listeners
  // are told to resync whenever some may have been missed: not subscribed yet, a reconnection,
  // a silence, or a skipped number.
  const listeners: ChangeListener[] = [];
  const notify = (event: ChangeEvent | 'resync') => listeners.forEach((listener) => listener(event));
  let subscribed = false;
  /** When the last message arrived, on a monotonic clock (a wall-clock step must not extend trust). */
  let heardAt = -Infinity;
  let lastSeq: number | null = null;
  const subscriber = redis.duplicate();
  subscriber.on('error', () => {});
  subscriber.on('close', () => {
    subscribed = false;
    lastSeq = null;
    notify('resync');
  });
  subscriber.on('message', (_channel: string, message: string) => {
    try {
      receive(JSON.parse(message) as Announcement);
    } catch {
      // Not one of ours (another client published here): whatever it meant, trust nothing cached.
      notify('resync');
    }
  });
  const subscribe = () =>
    subscriber.subscribe(CHANGES_CHANNEL).then(
      () => {
        subscribed = true;
        notify('resync');
        beat();
      },
      () => {},
    );
  subscriber.on('ready', () => void subscribe());
  const beat = () => {
    if (redis.status === 'ready') redis.gwBeat(adminKeys.changes, CHANGES_CHANNEL).catch(() => {});
  };
  const beats = setInterval(beat, BEAT_MS).unref();

  function receive({ seq, ...event }: Announcement): void {
    const now = performance.now();
    const silent = now - heardAt > SILENCE_MS;
    heardAt = now;
    if (skipped(seq, event.kind === 'beat') || silent) notify('resync');
    if (event.kind !== 'beat') notify(event);
  }

  /** True when `seq` shows a numbered change went by unheard (a beat repeats the last number). */
  function skipped(seq: number | undefined, isBeat: boolean): boolean {
    if (seq === undefined) return false;
    const expected = lastSeq === null ? seq : isBeat ? lastSeq : lastSeq + 1;
    lastSeq = seq;
    return seq !== expected;
  }

  async function readJobs(team: string, jobIds: string[]): Promise<JobRecord[]> {
    const keys = teamKeys(team);
    const rows = await Promise.all(jobIds.map((id) => redis.hmget(keys.job(id), ...JOB_FIELDS)));
    return rows.flatMap((row, i) => toJobRecord(team, jobIds[i]!, row) ?? []);
  }

  return {
    kind: 'redis',
    redis,

    saveKey: (change) =>
      guarded(async () => {
        const { record, implicitTeam } = change;
        const saved = await redis.gwSaveKey(
          adminKeys.key(record.id),
          adminKeys.hash(record.hash),
          change.retire ? adminKeys.hash(change.retire.hash) : adminKeys.unused,
          adminKeys.index,
          adminKeys.teamIndex(record.team),
          adminKeys.team(record.team),
          adminKeys.teams,
          adminKeys.origins,
          adminKeys.audit,
          adminKeys.changes,
          change.expectedVersion,
          JSON.stringify(record),
          record.id,
          Date.parse(record.createdAt),
          record.team,
          change.retire?.at ?? '',
          record.allowedOrigins.join(','),
          JSON.stringify(change.audit),
          implicitTeam ? JSON.stringify(implicitTeam.record) : '',
          implicitTeam ? JSON.stringify(implicitTeam.audit) : '',
          CHANGES_CHANNEL,
          JSON.stringify({ kind: 'key', id: record.id } satisfies ChangeEvent),
        );
        return saved === 1;
      }),

    findKeyByHash: (hash) =>
      guarded(async () => {
        const id = await redis.get(adminKeys.hash(hash));
        return id ? readJson<TeamKeyRecord>(adminKeys.key(id)) : null;
      }),

    getKey: (id) => guarded(() => readJson<TeamKeyRecord>(adminKeys.key(id))),

    listKeys: (r) =>
      guarded(async () => {
        const { ids, hasMore } = await pageOfIndex(r.team ? adminKeys.teamIndex(r.team) : adminKeys.index, r.after, r.limit);
        const rows = ids.length > 0 ? await redis.mget(ids.map(adminKeys.key)) : [];
        return { keys: rows.flatMap((json) => (json ? [JSON.parse(json) as TeamKeyRecord] : [])), hasMore };
      }),

    saveTeam: (change) =>
      guarded(async () => {
        const saved = await redis.gwSaveTeam(
          adminKeys.team(change.record.id),
          adminKeys.teams,
          adminKeys.audit,
          adminKeys.changes,
          change.expectedVersion,
          JSON.stringify(change.record),
          change.record.id,
          JSON.stringify(change.audit),
          CHANGES_CHANNEL,
          JSON.stringify({ kind: 'team', id: change.record.id } satisfies ChangeEvent),
        );
        return saved === 1;
      }),

    getTeam: (id) => guarded(() => readJson<TeamRecord>(adminKeys.team(id))),

    listTeams: () =>
      guarded(async () => {
        const ids = (await redis.smembers(adminKeys.teams)).sort();
        const rows = ids.length > 0 ? await redis.mget(ids.map(adminKeys.team)) : [];
        return rows.flatMap((json) => (json ? [JSON.parse(json) as TeamRecord] : []));
      }),

    allowedOrigins: () => guarded(() => redis.smembers(adminKeys.origins)),

    listAudit: (r) =>
      guarded(async () => {
        const end = r.before ? `(${r.before}` : '+';
        const rows = await redis.xrevrange(adminKeys.audit, end, '-', 'COUNT', r.limit + 1);
        const entries = rows.slice(0, r.limit).map(([id, fields]): StoredAuditEntry => ({
          id,
          ...(JSON.parse(fields[1] ?? '{}') as AuditEntry),
        }));
        return { entries, hasMore: rows.length > r.limit };
      }),

    publishChange: (event: ChangeEvent) =>
      guarded(async () => {
        await redis.publish(CHANGES_CHANNEL, JSON.stringify(event));
      }),

    onChange: (listener) => {
      listeners.push(listener);
    },

    changesLive: () => subscribed && performance.now() - heardAt <= SILENCE_MS,

    reserve: (r: ReserveRequest) =>
      guarded(async (): Promise<ReserveResult> => {
        const keys = teamKeys(r.team);
        const common = money(r.team, r.windows[0]!, r);
        const [ok, available] = await redis.gwReserve(
          ...common.keys,
          keys.reservation(r.reservationId),
          keys.leases,
          ...common.args,
          r.credits,
          r.keyId,
          ...budgetArgs(r),
          r.windows.join(','),
          r.reservationId,
          r.model,
          r.leaseUntil,
        );
        return ok === 1 ? { ok: true } : { ok: false, available };
      }),

    release: (r: ReleaseRequest) =>
      guarded(() => {
        const keys = teamKeys(r.team);
        const common = money(r.team, r.day, r);
        return redis.gwRelease(...common.keys, keys.reservation(r.reservationId), keys.leases, ...common.args, r.reservationId, r.why);
      }),

    attachJob: (r: AttachRequest) =>
      guarded(async (): Promise<AttachResult> => {
        const keys = teamKeys(r.team);
        const common = money(r.team, r.windows[0]!, r);
        const [state, amount] = await redis.gwAttach(
          ...common.keys,
          keys.reservation(r.reservationId),
          keys.leases,
          keys.job(r.jobId),
          keys.pending,
          keys.jobs,
          keys.keyJobs(r.keyId),
          ...common.args,
          r.reservationId,
          r.jobId,
          r.keyId,
          r.model,
          r.windows.join(','),
          r.webhook?.url ?? '',
          r.webhook?.events.join(',') ?? '',
          r.credits,
          ...budgetArgs(r),
        );
        return { state, overrun: state === 'duplicate' ? 0 : amount, released: state === 'duplicate' ? amount : 0 };
      }),

    settle: (r: SettleRequest) =>
      guarded(async (): Promise<SettleResult> => {
        const keys = teamKeys(r.team);
        const common = money(r.team, r.day, r);
        const [settled, overrun] = await redis.gwSettle(
          ...common.keys,
          keys.job(r.jobId),
          keys.pending,
          ...common.args,
          r.jobId,
          r.status,
          r.credits,
          r.finalBody,
        );
        return { settled: settled === 1, overrun };
      }),

    getJob: (team, jobId) =>
      guarded(async () => {
        const values = await redis.hmget(teamKeys(team).job(jobId), ...JOB_FIELDS);
        return toJobRecord(team, jobId, values);
      }),

    pollJob: (team, jobId, now, snapshotMaxAgeMs, lockMs) =>
      guarded(async (): Promise<PollDecision | null> => {
        const keys = teamKeys(team);
        const [action, body, bodyAt, ...fields] = await redis.gwPollJob(keys.job(jobId), keys.pollLock(jobId), now, snapshotMaxAgeMs, lockMs);
        const record = action ? toJobRecord(team, jobId, fields.map((field) => (field === '' ? null : field))) : null;
        if (!record) return null;
        if (action === 'fetch' || action === 'due') return { action, record, stale: body ? { body, at: Number(bodyAt) } : null };
        if (action === 'wait') return { action, record };
        return { action: action as 'final' | 'snapshot', record, body: body! };
      }),

    saveSnapshot: (team, jobId, body, now) =>
      guarded(async () => {
        const keys = teamKeys(team);
        await redis.multi().hset(keys.job(jobId), 'snapshot', body, 'snapshotAt', now).del(keys.pollLock(jobId)).exec();
      }),

    enqueueDelivery: (delivery, dueAt) =>
      guarded(async () => {
        const keys = teamKeys(delivery.team);
        const { id, jobId, keyId, url, event, body, attempts } = delivery;
        await redis
          .multi()
          .hset(keys.delivery(id), { jobId, keyId, url, event, body, attempts })
          .zadd(keys.deliveries, dueAt, id)
          .hset(keys.job(jobId), 'webhookStatus', 'pending')
          .exec();
      }),

    claimDueDeliveries: (team, now, leaseMs, limit) =>
      guarded(async () => {
        const keys = teamKeys(team);
        const ids = await redis.gwClaimDeliveries(keys.deliveries, now, leaseMs, limit);
        const rows = await Promise.all(ids.map((id) => redis.hgetall(keys.delivery(id))));
        return rows.flatMap((row, i): WebhookDelivery[] =>
          row.url ? [{ id: ids[i]!, team, jobId: row.jobId!, keyId: row.keyId!, url: row.url, event: row.event!, body: row.body!, attempts: Number(row.attempts) }] : [],
        );
      }),

    recordDelivery: (delivery, outcome) =>
      guarded(async () => {
        const keys = teamKeys(delivery.team);
        const transaction = redis.multi();
        if (outcome.state === 'retry') {
          transaction.hset(keys.delivery(delivery.id), 'attempts', delivery.attempts).zadd(keys.deliveries, outcome.at, delivery.id);
        } else {
          transaction.del(keys.delivery(delivery.id)).zrem(keys.deliveries, delivery.id).hset(keys.job(delivery.jobId), 'webhookStatus', outcome.state);
        }
        await transaction.exec();
      }),

    jobsCreatedBetween: (team, fromMs, toMs) =>
      guarded(async () => readJobs(team, await redis.zrange(teamKeys(team).jobs, fromMs, `(${toMs}`, 'BYSCORE'))),

    listJobs: (r: ListJobsRequest) =>
      guarded(async (): Promise<JobPage> => {
        const keys = teamKeys(r.team);
        const { ids, hasMore } = await pageOfIndex(r.keyId ? keys.keyJobs(r.keyId) : keys.jobs, r.after, r.limit);
        return { jobs: await readJobs(r.team, ids), hasMore };
      }),

    spend: (q: SpendQuery) =>
      guarded(async (): Promise<Spend> => {
        const keyFields = q.keyId ? q.windows.map((w) => `key:${q.keyId}:${w}`) : [];
        const values = await redis.hmget(teamKeys(q.team).spend, ...keyFields, ...q.windows.map((w) => `team:${w}`));
        const spend: Spend = { key: {}, team: {} };
        q.windows.forEach((w, i) => {
          if (q.keyId) spend.key[w] = Number(values[i] ?? 0);
          spend.team[w] = Number(values[keyFields.length + i] ?? 0);
        });
        return spend;
      }),

    claimIdempotency: (scope, fingerprint, pendingTtlMs) =>
      guarded(async (): Promise<IdempotencyClaim> => {
        const [state, status, body] = await redis.gwClaimIdempotency(teamKeys(scope.team).idempotency(scope.keyId, scope.key), fingerprint, pendingTtlMs);
        return state === 'done' ? { state, status: Number(status), body: body! } : { state: state as 'claimed' | 'pending' | 'mismatch' };
      }),

    completeIdempotency: (scope, status, body, ttlMs) =>
      guarded(async () => {
        const key = teamKeys(scope.team).idempotency(scope.keyId, scope.key);
        await redis.multi().hset(key, 'state', 'done', 'status', status, 'body', body).pexpire(key, ttlMs).exec();
      }),

    abandonIdempotency: (scope) =>
      guarded(async () => {
        await redis.del(teamKeys(scope.team).idempotency(scope.keyId, scope.key));
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
        const keys = teamKeys(team);
        const ids = await redis.zrange(keys.leases, '-inf', now, 'BYSCORE', 'LIMIT', 0, limit);
        const details = await Promise.all(ids.map((id) => redis.hmget(keys.reservation(id), 'windows', 'model')));
        return ids.map((reservationId, i) => {
          const [windows, model] = details[i]!;
          return { reservationId, team, model: model ?? '', day: windows?.split(',')[0] ?? windowOf('day', now) };
        });
      }),

    renewLease: (team, reservationId, leaseUntil) =>
      guarded(async () => {
        await redis.zadd(teamKeys(team).leases, 'XX', leaseUntil, reservationId);
      }),

    readLedger: (team, after, limit) =>
      guarded(async () => {
        const rows = await redis.xrange(teamKeys(team).ledger, after ? `(${after}` : '-', '+', 'COUNT', limit);
        return rows.map(([id, fields]) => toLedgerEntry(team, id, fields));
      }),

    aggregates: (team, days) =>
      guarded(async () => {
        const keys = teamKeys(team);
        const hashes = await Promise.all(days.map((day) => redis.hgetall(keys.aggregate(day))));
        return hashes.flatMap((fields, i) => toAggregateCells(team, days[i]!, fields));
      }),

    acquireLease: (name, holder, ttlMs) =>
      guarded(async () => (await redis.gwAcquireLease(`gw:lease:${name}`, holder, ttlMs)) === 1),

    pendingJobCount: () =>
      guarded(async () => {
        const counts = await Promise.all((await redis.smembers(adminKeys.teams)).map((team) => redis.zcard(teamKeys(team).pending)));
        return counts.reduce((sum, count) => sum + count, 0);
      }),

    unavailability: async () => {
      if (redis.status !== 'ready') return `redis is ${redis.status}`;
      try {
        await Promise.race([
          ensureScripts(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 1 s')), HEALTH_TIMEOUT_MS).unref()),
        ]);
        return null;
      } catch (error) {
        return `redis: ${(error as Error).message}`;
      }
    },

    close: async () => {
      subscribed = false;
      clearInterval(beats);
      subscriber.disconnect();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

export interface RedisConnection {
  url?: string;
  clusterNodes?: string;
  sentinels?: string;
  sentinelMaster?: string;
  password?: string;
  commandTimeoutMs: number;
}

/** A standalone, Cluster or Sentinel-managed Redis, tuned to fail fast rather than queue. */
export function connectRedis(connection: RedisConnection): Redis | Cluster {
  const options = { enableAutoPipelining: true, commandTimeout: connection.commandTimeoutMs, maxRetriesPerRequest: 1 };
  if (connection.clusterNodes) {
    const nodes = connection.clusterNodes.split(',');
    const { username, password } = new URL(nodes[0]!);
    return new Cluster(nodes, {
      enableAutoPipelining: true,
      redisOptions: { ...options, ...(username && { username }), ...(password && { password: decodeURIComponent(password) }) },
    });
  }
  if (connection.sentinels) {
    return new Redis({
      ...options,
      sentinels: connection.sentinels.split(',').map((address) => {
        const [host, port] = address.split(':');
        return { host: host!, port: Number(port) };
      }),
      name: connection.sentinelMaster ?? 'mymaster',
      ...(connection.password && { password: connection.password, sentinelPassword: connection.password }),
    });
  }
  return new Redis(connection.url!, options);
}
