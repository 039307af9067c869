// What every feature of the Redis store shares: the connection, the failure guard, and where
// records live. Key records sit under the `{keys}` hash tag, a team's money and jobs under its
// `{t:TEAM}` tag, so every script's keys share one hash slot (Redis Cluster runs them).
import type { Cluster, Redis } from 'ioredis';
import { errors } from '../../errors.js';
import type { AlertListener } from './alerts/contract.js';
import { isAfter, type Position } from './cursor.js';
import type { LuaScript, LuaScriptInput } from './lua-script.js';
import { runMoneyScript, type Replication } from './replication.js';

export interface RedisContext {
  redis: Redis | Cluster;
  /** Runs a store operation; any Redis failure becomes GW_STORE_UNAVAILABLE, so callers fail closed. */
  guarded<T>(operation: () => Promise<T>): Promise<T>;
  replication: Replication;
  /** Runs a script that writes credits, the ledger or a job record: its reply once replicas hold it. */
  money<K extends string, A extends string, Result>(
    script: LuaScript<K, A, Result>,
    input: LuaScriptInput<K, A>,
  ): Promise<Result>;
  /** Who hears of the alerts the money scripts raise. */
  alertListeners: AlertListener[];
}

/** How the money scripts write the ledger. */
export interface LedgerOptions {
  /** How long ledger entries are kept (aggregates are kept for ever). */
  ledgerRetentionMs: number;
  /** BENCH_WITHOUT=ledger: spend moves, but no ledger entry or daily aggregate is written. */
  withoutLedgerWrites?: boolean;
}

export interface RedisStoreOptions extends LedgerOptions {
  /** Called for every failed command (to count them). */
  onFailure?: () => void;
  /** How many replicas must acknowledge each money write (none when left out). */
  replication?: Replication;
}

export function createRedisContext(
  redis: Redis | Cluster,
  replication: Replication,
  onFailure?: () => void,
): RedisContext {
  return {
    redis,
    replication,
    alertListeners: [],
    money: (script, input) => runMoneyScript(redis, replication, script, input),
    async guarded(operation) {
      try {
        return await operation();
      } catch (cause) {
        onFailure?.();
        throw new errors.StoreUnavailable({ cause: withoutArguments(cause) });
      }
    },
  };
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

/** The channel change notifications and beats travel on. */
export const CHANGES_CHANNEL = 'gw:changes';

export const adminKeys = {
  key: (id: string) => `gw:{keys}:key:${id}`,
  hash: (hash: string) => `gw:{keys}:hash:${hash}`,
  index: 'gw:{keys}:index',
  teamIndex: (team: string) => `gw:{keys}:team-keys:${team}`,
  team: (id: string) => `gw:{keys}:team:${id}`,
  teams: 'gw:{keys}:teams',
  /** Each team's UUID by its slug. */
  teamUuids: 'gw:{keys}:team-uuids',
  origins: 'gw:{keys}:origins',
  audit: 'gw:{keys}:audit',
  /** The number of the last change announced. */
  changes: 'gw:{keys}:changes',
  /** A minted ephemeral key's record, and its id by the hash of its secret: both expire with it. */
  ephemeralKey: (id: string) => `gw:{keys}:eph:${id}`,
  ephemeralHash: (hash: string) => `gw:{keys}:eph-hash:${hash}`,
  /** Stands in for an unused key argument, in the same hash slot. */
  unused: 'gw:{keys}:unused',
};

export function teamKeys(team: string) {
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
    /** The jobs an ephemeral key created (its parent's zset holds them too). */
    ephemeralJobs: (id: string) => `${tag}:jobs:eph:${id}`,
    idempotency: (keyId: string, key: string) => `${tag}:idem:${keyId}:${key}`,
    pollLock: (jobId: string) => `${tag}:poll-lock:${jobId}`,
    delivery: (id: string) => `${tag}:delivery:${id}`,
    deliveries: `${tag}:deliveries`,
    /** An asset or LoRA the team created (a LoRA's hash also holds its charge). */
    object: (kind: string, id: string) => `${tag}:obj:${kind}:${id}`,
    /** The team's LoRAs whose training may still fail, by when they were accepted. */
    pendingLoras: `${tag}:loras-pending`,
    /** A key's window of requests for one rate-limit policy. */
    requests: (policy: string, keyId: string) => `${tag}:rl:${policy}:${keyId}`,
    /**
     * Budget alerts: the capped history, the alert targets, their queued deliveries, the state of
     * each delivery of an alert kept (`<alertId>/<targetId>`), a window's markers.
     */
    alerts: `${tag}:alerts`,
    alertTargets: `${tag}:alert-targets`,
    alertOutbox: `${tag}:alert-outbox`,
    alertDeliveries: `${tag}:alert-deliveries`,
    alertMarks: (window: string) => `${tag}:alert-marks:${window}`,
  };
}

/** The team that uploaded the file at a URL: looked up without knowing the team. */
export const uploadUrlKey = (urlDigest: string) => `gw:upload-url:${urlDigest}`;

/** A stream entry's fields (`[name, value, name, value, …]` as XRANGE answers them) by name. */
export function streamFields(list: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i < list.length; i += 2) fields[list[i]!] = list[i + 1]!;
  return fields;
}

/** Ids of a zset index scored by createdAt, newest first, strictly after `after`. */
export async function pageOfIndex(redis: Redis | Cluster, index: string, after: Position | undefined, limit: number) {
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
