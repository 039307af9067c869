// Coordination and health on Redis: named leases, the teams set, whether Redis can serve (has
// every script loaded and the replicas money writes need), and closing the connection.
import { createHash } from 'node:crypto';
import { Cluster } from 'ioredis';
import type { LuaScript } from '../lua-script.js';
import { adminKeys, type RedisContext } from '../redis-context.js';
import type { Coordination } from './contract.js';
import { ACQUIRE_LEASE } from './lua.js';

const HEALTH_TIMEOUT_MS = 1_000;

/** `scripts`: every script the store runs, loaded again on any node that lost them. */
export function createRedisCoordination(
  { redis, guarded, replication }: RedisContext,
  scripts: readonly LuaScript<string, string, unknown>[],
): Coordination {
  const shas = scripts.map((script) => createHash('sha1').update(script.lua).digest('hex'));

  /** Loads any script a Redis node has lost (after a restart without persistence, say). */
  async function ensureScripts(): Promise<void> {
    const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
    await Promise.all(
      nodes.map(async (node) => {
        const loaded = (await node.script('EXISTS', ...shas)) as number[];
        const missing = scripts.filter((_, i) => loaded[i] !== 1);
        await Promise.all(missing.map((script) => node.script('LOAD', script.lua)));
      }),
    );
  }

  return {
    kind: 'redis',

    acquireLease: (name, holder, ttlMs) =>
      guarded(() => ACQUIRE_LEASE.run(redis, { leaseKey: `gw:lease:${name}`, holder, ttlMs })),

    teams: () => guarded(() => redis.smembers(adminKeys.teams)),

    unavailability: async () => {
      if (redis.status !== 'ready') return `redis is ${redis.status}`;
      try {
        return await Promise.race([
          ensureScripts().then(() => replication.shortfall()),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error('no answer within 1 s')), HEALTH_TIMEOUT_MS).unref(),
          ),
        ]);
      } catch (error) {
        return `redis: ${(error as Error).message}`;
      }
    },

    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
