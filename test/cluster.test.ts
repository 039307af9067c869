// The whole gateway on a 3-master Redis Cluster: metering, key changes across instances,
// reports and readiness all work when every script's keys share one hash slot.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/simulator/simulator.js';
import { startRedisCluster, type RedisCluster } from './helpers/redis-cluster.js';
import { ADMIN_TOKEN, startGateway, uniqueTeam, UPSTREAM_KEY, type TestGateway } from './helpers/gateway.js';

let cluster: RedisCluster;
let sim: Simulator;
let first: TestGateway;
let second: TestGateway;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  cluster = await startRedisCluster();
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0, prices: { 'seedream-4': 3 } });
  const env = { REDIS_CLUSTER_NODES: cluster.nodes };
  first = await startGateway({ sim, env });
  second = await startGateway({ sim, env });
}, 60_000);
afterAll(async () => {
  await first.close();
  await second.close();
  await sim.close();
  await cluster.destroy();
});

describe('on Redis Cluster', () => {
  it('is ready, meters exactly under concurrency across two instances, and settles', async () => {
    // The cluster client discovers the slots first; /readyz says so until it has.
    const started = Date.now();
    while ((await first.inject({ method: 'GET', url: '/readyz' })).statusCode !== 200) {
      expect(Date.now() - started).toBeLessThan(10_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await first.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready', store: 'redis' });
    const team = uniqueTeam();
    await first.inject({
      method: 'POST',
      url: '/admin/teams',
      headers: admin,
      payload: { id: team, budget: { credits: 30, period: 'day' } },
    });
    const keys = [await first.createKey({ team }), await first.createKey({ team })];
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => [first, second][i % 2]!.generate(keys[i % 2]!.key)),
    );
    expect(responses.filter((r) => r.statusCode === 202)).toHaveLength(10);
    expect(responses.filter((r) => r.statusCode === 402)).toHaveLength(40);
    const accepted = responses.find((r) => r.statusCode === 202)!;
    const owner = keys[responses.indexOf(accepted) % 2]!;
    expect((await second.poll(owner.key, accepted.json().jobId)).json()).toMatchObject({ status: 'COMPLETED' });
    await first.app.services.backgroundSettlement.settleOnce();
    const report = (
      await first.inject({ method: 'GET', url: `/admin/usage?team=${team}&groupBy=key`, headers: admin })
    ).json();
    expect(report.totals).toMatchObject({ credits: 30, settlements: 10 });
  });

  it('carries a revocation to the other instance within a second', async () => {
    const key = await first.createKey();
    expect((await second.inject({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': key.key } })).statusCode).toBe(
      200,
    );
    await first.inject({ method: 'DELETE', url: `/admin/keys/${key.id}`, headers: admin });
    const started = Date.now();
    while (
      (await second.inject({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': key.key } })).statusCode !== 401
    ) {
      expect(Date.now() - started).toBeLessThan(1_000);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });

  it('carries a revocation within a second to an instance whose subscriber missed it while moving nodes by itself', async () => {
    // ioredis gives a Cluster's subscriber a new node when its connection drops, and says nothing:
    // no close, so nothing tells the instance that announcements went by in the meantime.
    const me = () => second.inject({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': key.key } });
    const key = await first.createKey();
    while (!second.app.services.store.changesLive()) await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await me()).statusCode).toBe(200);
    const nodes = cluster.nodes.split(',').map((url) => new Redis(url));
    const limits = await Promise.all(
      nodes.map(async (node) => ((await node.config('GET', 'maxclients')) as string[])[1]!),
    );
    let revokedAt = 0;
    try {
      // Every node refuses new connections, so the subscribers cut off now cannot come back yet.
      await Promise.all(nodes.map((node) => node.config('SET', 'maxclients', '1')));
      await Promise.all(nodes.map((node) => node.client('KILL', 'TYPE', 'pubsub')));
      revokedAt = Date.now();
      expect((await first.inject({ method: 'DELETE', url: `/admin/keys/${key.id}`, headers: admin })).statusCode).toBe(
        200,
      );
    } finally {
      await Promise.all(nodes.map((node, i) => node.config('SET', 'maxclients', limits[i]!)));
      for (const node of nodes) node.disconnect();
    }
    while ((await me()).statusCode !== 401) {
      expect(Date.now() - revokedAt).toBeLessThan(1_000);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
});
