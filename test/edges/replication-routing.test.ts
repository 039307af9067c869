// Where the WAIT after a money script goes, and when none is sent: a lone Redis (automatic
// minimum 0) sees no WAIT at all; on Cluster the WAIT goes, with its script, to the master of the
// team's slot, so the replicas it counts are the ones that copy that write.
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/services/store/redis-connection.js';
import { createRedisStore } from '../../src/services/store/redis-store.js';
import { createReplication } from '../../src/services/store/replication.js';
import { gatewayOnRedis, uniqueTeam } from '../helpers/gateway.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { reservation } from '../services/store/stores.js';

const isScript = ([name]: string[]) => name === 'eval' || name === 'evalsha';

/** Every command `urls` receive while `during` runs, per node, lower-cased, scripts' own commands left out. */
async function commandsDuring(urls: string[], during: () => Promise<unknown>): Promise<string[][][]> {
  const seen = urls.map(() => [] as string[][]);
  const monitors = urls.map((url, i) => {
    const monitor = new Redis(url, { monitor: true });
    // A node already busy may send monitor lines in the same packet as MONITOR's OK, which ioredis
    // reports as an error before it knows it is monitoring: those lines precede `during` anyway.
    monitor.on('error', () => {});
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua') seen[i]!.push([args[0]!.toLowerCase(), ...args.slice(1)]);
    });
    return monitor;
  });
  await Promise.all(monitors.map((monitor) => once(monitor, 'monitoring')));
  await during();
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const monitor of monitors) monitor.disconnect();
  return seen;
}

describe('a lone Redis, REDIS_MIN_REPLICAS unset', () => {
  const context = gatewayOnRedis();

  it('sends no WAIT: submissions and polls run as before', async () => {
    const { gw, redis } = context;
    const key = await gw.createKey();
    const [commands] = await commandsDuring([redis.url], async () => {
      const accepted = await gw.generate(key.key);
      expect(accepted.statusCode, accepted.body).toBe(202);
      expect((await gw.poll(key.key, accepted.json().jobId)).json()).toMatchObject({ status: 'COMPLETED' });
    });
    expect(commands!.filter(isScript).length).toBeGreaterThanOrEqual(3);
    expect(commands!.filter(([name]) => name === 'wait')).toEqual([]);
  });
});

describe('on Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(() => cluster.destroy());

  const openStore = (minReplicas: number) => {
    const redis = connectRedis({ clusterNodes: cluster.nodes, commandTimeoutMs: 2_000 });
    const replication = createReplication(redis, { minReplicas, timeoutMs: 200 });
    return createRedisStore(redis, { ledgerRetentionMs: 86_400_000, replication });
  };

  it('sends the WAIT with its script to the master of the team’s slot, failing closed when short', async () => {
    const store = openStore(1);
    const team = uniqueTeam();
    try {
      const perNode = await commandsDuring(cluster.nodes.split(','), async () => {
        await expect(store.reserve(reservation(team, 'k1'))).rejects.toMatchObject({ statusCode: 503 });
      });
      const withWait = perNode.filter((commands) => commands.some(([name]) => name === 'wait'));
      expect(withWait).toHaveLength(1);
      const commands = withWait[0]!;
      const script = commands.findIndex(isScript);
      expect(commands[script]!.some((arg) => arg.startsWith(`gw:{t:${team}}:`))).toBe(true);
      expect(commands[script + 1]).toEqual(['wait', '1', '200']);
      expect(await store.unavailability()).toMatch(
        /^redis: the primary 127\.0\.0\.1:\d+ has 0 replica\(s\) in sync, 1 must/,
      );
    } finally {
      await store.close();
    }
  });

  it('sends no WAIT with REDIS_MIN_REPLICAS=0, and money moves as before', async () => {
    const store = openStore(0);
    const team = uniqueTeam();
    try {
      const perNode = await commandsDuring(cluster.nodes.split(','), async () => {
        expect(await store.reserve(reservation(team, 'k1'))).toEqual({ ok: true });
      });
      expect(perNode.flat().filter(([name]) => name === 'wait')).toEqual([]);
      expect(await store.unavailability()).toBeNull();
    } finally {
      await store.close();
    }
  });
});
