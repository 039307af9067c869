// The replicated Redis harness itself: a write reaches the replica, and each control breaks
// replication the way the edge tests rely on.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replicationInfo, startReplicatedRedis, type ReplicatedRedis } from './redis-replicated.js';

let redis: ReplicatedRedis;
let primary: Redis;
beforeAll(async () => {
  redis = await startReplicatedRedis({ replicas: 1 });
  primary = new Redis(redis.url);
});
afterAll(async () => {
  primary.disconnect();
  await redis.destroy();
});

const readReplica = async (key: string) => {
  const replica = new Redis(redis.replicaUrls[0]!);
  try {
    return await replica.get(key);
  } finally {
    replica.disconnect();
  }
};

describe('a primary and a replica on loopback', () => {
  it('copies a write to the replica, acknowledged by WAIT', async () => {
    expect((await replicationInfo(redis.url)).connected_slaves).toBe('1');
    await primary.set('harness:a', 'one');
    expect(await primary.wait(1, 10_000)).toBe(1);
    expect(await readReplica('harness:a')).toBe('one');
  });

  it('leaves a paused replica connected but unacknowledging, until it resumes', async () => {
    redis.pauseReplica(0);
    try {
      await primary.set('harness:b', 'two');
      expect(await primary.wait(1, 200)).toBe(0);
      expect((await replicationInfo(redis.url)).connected_slaves).toBe('1');
    } finally {
      redis.resumeReplica(0);
    }
    expect(await primary.wait(1, 10_000)).toBe(1);
    expect(await readReplica('harness:b')).toBe('two');
  });

  it('cuts a replica off and brings it back caught up', async () => {
    await redis.breakReplication(0);
    await primary.set('harness:c', 'three');
    expect(await primary.wait(1, 200)).toBe(0);
    expect(await readReplica('harness:c')).toBeNull();
    await redis.restoreReplication(0);
    expect(await readReplica('harness:c')).toBe('three');
  });

  it('kills a replica and starts it again on the same port', async () => {
    await redis.kill(0);
    await primary.set('harness:d', 'four');
    expect(await primary.wait(1, 200)).toBe(0);
    await redis.replicas[0]!.start();
    await redis.waitForSync();
    expect(await readReplica('harness:d')).toBe('four');
  });
});
