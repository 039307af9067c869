// Acknowledged means replicated: how many replicas must hold a money write before the gateway acts
// on it, and whether the deployment has them. Redis replicates asynchronously, so a write only
// the primary holds is lost when a replica is promoted; WAIT after the write closes that gap.
// Unset, the minimum is 1 once a primary has been seen with a replica and never drops back to 0:
// a replica cut off or gone is an outage (503s), not a reason to acknowledge unreplicated writes.
// On Cluster the outage is a master's alone: only the teams whose slots it serves wait for it.
import calculateSlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import type { LuaScript, LuaScriptInput } from './lua-script.js';

export interface ReplicationOptions {
  /** REDIS_MIN_REPLICAS; undefined: automatic. */
  minReplicas?: number;
  /** REDIS_TIMEOUT_MS: how long a WAIT may take. */
  timeoutMs: number;
  /** Told once each time money writes stop being replicable, with the reason. */
  onShortfall?: (reason: string) => void;
}

export interface Replication {
  readonly timeoutMs: number;
  /** Replicas each money write must reach now (0: no WAIT at all). */
  required(): Promise<number>;
  /**
   * Throws when the last look (refreshed if older than a second) found too few replicas behind
   * the primary that holds `key` (on Cluster, its slot's master).
   */
  assertEnough(key: string): Promise<void>;
  /**
   * Reads every primary's replicas: why no money write can be replicated now, or null. On
   * Cluster, a master short of replicas stops its own slots' writes only, so the gateway stays
   * ready while one master still takes them.
   */
  shortfall(): Promise<string | null>;
  /** A WAIT after a write to `key` came back short: that primary's writes fail at once for a second. */
  noteShortWait(key: string): void;
}

const RECHECK_MS = 1_000;

/**
 * Replicas keeping up with a primary, from its `INFO replication` (`slaveN:...,state=online,...,lag=S`):
 * a replica acknowledges every second, so one silent for longer than `maxLagS` is frozen or cut off.
 */
function replicasInSync(info: string, maxLagS: number): number {
  return info.split(/\r?\n/).filter((line) => {
    const lag = /^slave\d+:.*state=online.*lag=(\d+)/.exec(line)?.[1];
    return lag !== undefined && Number(lag) <= maxLagS;
  }).length;
}

/** Where a connection leads (through Sentinel, its options name no host). */
function nameOf(node: Redis): string {
  const { remoteAddress, remotePort } = node.stream ?? {};
  return remoteAddress ? `${remoteAddress}:${remotePort}` : `${node.options.host}:${node.options.port}`;
}

/** The lone primary of a standalone or Sentinel deployment, as the shortfalls name it. */
const PRIMARY = 'primary';

/** A Cluster master as ioredis names it in its slot table (`host:port`); else the lone primary. */
function primaryId(redis: Redis | Cluster, node: Redis): string {
  return redis instanceof Cluster ? `${node.options.host}:${node.options.port}` : PRIMARY;
}

/** The primary that holds `key`: on Cluster its slot's master (undefined while the slots are unknown). */
function primaryOf(redis: Redis | Cluster, key: string): string | undefined {
  return redis instanceof Cluster ? redis.slots[calculateSlot(key)]?.[0] : PRIMARY;
}

interface Look {
  /** Primaries short of replicas, with the reason. */
  short: Map<string, string>;
  primaries: number;
  at: number;
}

/** Why writes to `key` cannot be replicated now, or null; any primary's reason when its slot is unknown. */
function reasonFor(redis: Redis | Cluster, look: Look, key: string): string | null {
  const primary = primaryOf(redis, key);
  return (primary === undefined ? look.short.values().next().value : look.short.get(primary)) ?? null;
}

export function createReplication(redis: Redis | Cluster, options: ReplicationOptions): Replication {
  let automatic = 0;
  let firstLook: Promise<Look> | undefined;
  let last: Look | undefined;
  let looking: Promise<Look> | undefined;

  const wanted = () => options.minReplicas ?? automatic;

  async function look(): Promise<Look> {
    const primaries = redis instanceof Cluster ? redis.nodes('master') : [redis];
    if (primaries.length === 0) throw new Error('no Redis primary known yet');
    const maxLagS = Math.max(3, Math.ceil(options.timeoutMs / 1000));
    const counts = await Promise.all(
      primaries.map(async (node) => replicasInSync(await node.info('replication'), maxLagS)),
    );
    if (counts.some((count) => count > 0)) automatic = 1;
    const setting =
      options.minReplicas === undefined ? 'REDIS_MIN_REPLICAS unset: 1 once replicas were seen' : 'REDIS_MIN_REPLICAS';
    const short = new Map<string, string>();
    primaries.forEach((node, i) => {
      if (counts[i]! >= wanted()) return;
      const reason =
        `redis: the primary ${nameOf(node)} has ${counts[i]} replica(s) in sync, ` +
        `${wanted()} must acknowledge each money write (${setting})`;
      short.set(primaryId(redis, node), reason);
    });
    return remember({ short, primaries: primaries.length, at: Date.now() });
  }

  function remember(next: Look): Look {
    for (const [primary, reason] of next.short) if (!last?.short.has(primary)) options.onShortfall?.(reason);
    last = next;
    return next;
  }

  /** One look at a time: the requests that find the last one stale share the next. */
  const lookAgain = () => {
    looking ??= look().finally(() => {
      looking = undefined;
    });
    return looking;
  };

  return {
    timeoutMs: options.timeoutMs,

    async required() {
      if (options.minReplicas !== undefined) return options.minReplicas;
      // Until a first look succeeds, nothing says a write needs no replica: fail closed.
      firstLook ??= look().catch((error: unknown) => {
        firstLook = undefined;
        throw error;
      });
      await firstLook;
      return automatic;
    },

    async assertEnough(key) {
      if (!last || last.short.size === 0) return;
      const reason = reasonFor(redis, Date.now() - last.at < RECHECK_MS ? last : await lookAgain(), key);
      if (reason) throw new Error(reason);
    },

    async shortfall() {
      const { short, primaries } = await look();
      return short.size === primaries ? short.values().next().value! : null;
    },

    noteShortWait(key) {
      const short = new Map(last?.short);
      const reason = `redis: a money write was not acknowledged by its replicas within ${options.timeoutMs} ms`;
      short.set(primaryOf(redis, key) ?? PRIMARY, reason);
      remember({ short, primaries: last?.primaries ?? 1, at: Date.now() });
    },
  };
}

/**
 * Runs a money script and, when replicas must hold its writes, WAIT right behind it in one
 * pipeline: the same connection (on Cluster, the master of the script's slot), one round trip.
 * The script's reply counts only once enough replicas acknowledged.
 */
export async function runMoneyScript<K extends string, A extends string, Result>(
  redis: Redis | Cluster,
  replication: Replication,
  script: LuaScript<K, A, Result>,
  input: LuaScriptInput<K, A>,
): Promise<Result> {
  const replicas = await replication.required();
  if (replicas === 0) return script.run(redis, input);
  const args = script.argsOf(input);
  const key = String(args[0]);
  await replication.assertEnough(key);
  const pipeline = redis.pipeline();
  (pipeline as unknown as Record<string, (...args: unknown[]) => unknown>)[script.name]!(...args);
  const [[scriptError, reply], [waitError, acknowledged]] = (await pipeline
    .wait(replicas, replication.timeoutMs)
    .exec()) as [[Error | null, unknown], [Error | null, unknown]];
  if (scriptError) throw scriptError;
  if (waitError) throw waitError;
  if ((acknowledged as number) < replicas) {
    replication.noteShortWait(key);
    throw new Error(`redis: ${acknowledged} of ${replicas} replica(s) acknowledged within ${replication.timeoutMs} ms`);
  }
  return script.decode(reply);
}
