// Acknowledged means replicated: how many replicas must hold a money write before the gateway acts
// on it, and whether the deployment has them. Redis replicates asynchronously, so a write only
// the primary holds is lost when a replica is promoted; WAIT after the write closes that gap.
// Unset, the minimum is 1 once a primary has been seen with a replica and never drops back to 0:
// a replica cut off or gone is an outage (503s), not a reason to acknowledge unreplicated writes.
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
  /** Throws when the last look (refreshed if older than a second) found too few replicas. */
  assertEnough(): Promise<void>;
  /** Reads every primary's replicas: the reason money writes cannot be replicated now, or null. */
  shortfall(): Promise<string | null>;
  /** A WAIT came back short: money writes fail at once for a second, then look again. */
  noteShortWait(): void;
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

export function createReplication(redis: Redis | Cluster, options: ReplicationOptions): Replication {
  let automatic = 0;
  let firstLook: Promise<string | null> | undefined;
  let last: { reason: string | null; at: number } | undefined;

  const wanted = () => options.minReplicas ?? automatic;

  async function look(): Promise<string | null> {
    const primaries = redis instanceof Cluster ? redis.nodes('master') : [redis];
    if (primaries.length === 0) throw new Error('no Redis primary known yet');
    const maxLagS = Math.max(3, Math.ceil(options.timeoutMs / 1000));
    const counts = await Promise.all(
      primaries.map(async (node) => replicasInSync(await node.info('replication'), maxLagS)),
    );
    if (counts.some((count) => count > 0)) automatic = 1;
    const short = counts.findIndex((count) => count < wanted());
    const setting =
      options.minReplicas === undefined ? 'REDIS_MIN_REPLICAS unset: 1 once replicas were seen' : 'REDIS_MIN_REPLICAS';
    const reason =
      short < 0
        ? null
        : `redis: the primary ${nameOf(primaries[short]!)} has ${counts[short]} replica(s) in sync, ` +
          `${wanted()} must acknowledge each money write (${setting})`;
    remember(reason);
    return reason;
  }

  function remember(reason: string | null): void {
    if (reason && !last?.reason) options.onShortfall?.(reason);
    last = { reason, at: Date.now() };
  }

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

    async assertEnough() {
      if (!last?.reason) return;
      const reason = Date.now() - last.at < RECHECK_MS ? last.reason : await look();
      if (reason) throw new Error(reason);
    },

    shortfall: look,

    noteShortWait() {
      remember(`redis: a money write was not acknowledged by its replicas within ${options.timeoutMs} ms`);
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
  await replication.assertEnough();
  const pipeline = redis.pipeline();
  (pipeline as unknown as Record<string, (...args: unknown[]) => unknown>)[script.name]!(...script.argsOf(input));
  const [[scriptError, reply], [waitError, acknowledged]] = (await pipeline
    .wait(replicas, replication.timeoutMs)
    .exec()) as [[Error | null, unknown], [Error | null, unknown]];
  if (scriptError) throw scriptError;
  if (waitError) throw waitError;
  if ((acknowledged as number) < replicas) {
    replication.noteShortWait();
    throw new Error(`redis: ${acknowledged} of ${replicas} replica(s) acknowledged within ${replication.timeoutMs} ms`);
  }
  return script.decode(reply);
}
