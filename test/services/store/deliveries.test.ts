// The delivery queue contract (enqueueDelivery, claimDueDeliveries, recordDelivery) on Redis,
// Redis Cluster and memory.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookDelivery } from '../../../src/domain/deliveries.js';
import { teamKeys } from '../../../src/services/store/redis-context.js';
import type { Store } from '../../../src/services/store/store.js';
import { uniqueTeam } from '../../helpers/gateway.js';
import { NOW, STORE_KINDS, useStoreServers } from './stores.js';

const servers = useStoreServers();

describe.each(STORE_KINDS)('delivery queue (%s)', (kind) => {
  let store: Store;
  beforeAll(() => {
    store = servers.open(kind);
  });
  afterAll(async () => {
    await store.close();
  });

  const delivery = (team: string, event = 'completed'): WebhookDelivery => ({
    id: randomUUID(),
    team,
    jobId: randomUUID(),
    keyId: 'k1',
    url: 'https://hooks.example/a',
    event,
    body: '{"x":1}',
    attempts: 0,
  });

  it("hands out a team's deliveries once due, each claimed for its lease", async () => {
    const team = uniqueTeam();
    const now = delivery(team);
    const later = delivery(team, 'progress');
    await store.enqueueDelivery(now, NOW);
    await store.enqueueDelivery(later, NOW + 5_000);
    await store.enqueueDelivery(delivery(uniqueTeam()), NOW);
    expect(await store.claimDueDeliveries(team, NOW, 1_000, 10)).toEqual([now]);
    expect(await store.claimDueDeliveries(team, NOW + 999, 1_000, 10)).toEqual([]);
    const due = await store.claimDueDeliveries(team, NOW + 5_000, 1_000, 10);
    expect(due.map((d) => d.id).sort()).toEqual([now.id, later.id].sort());
  });

  it('claims at most `limit` at a time', async () => {
    const team = uniqueTeam();
    for (let i = 0; i < 3; i++) await store.enqueueDelivery(delivery(team), NOW);
    expect(await store.claimDueDeliveries(team, NOW, 1_000, 2)).toHaveLength(2);
    expect(await store.claimDueDeliveries(team, NOW, 1_000, 2)).toHaveLength(1);
  });

  it('puts a retried delivery back with its attempts, and drops one delivered or failed', async () => {
    const team = uniqueTeam();
    const [retried, delivered, failed] = [delivery(team), delivery(team), delivery(team)];
    for (const d of [retried, delivered, failed]) await store.enqueueDelivery(d, NOW);
    await store.claimDueDeliveries(team, NOW, 1_000, 10);
    await store.recordDelivery({ ...retried, attempts: 1 }, { state: 'retry', at: NOW + 2_000 });
    await store.recordDelivery(delivered, { state: 'delivered' });
    await store.recordDelivery(failed, { state: 'failed' });
    expect(await store.claimDueDeliveries(team, NOW + 1_999, 1_000, 10)).toEqual([]);
    expect(await store.claimDueDeliveries(team, NOW + 2_000, 1_000, 10)).toEqual([{ ...retried, attempts: 1 }]);
    expect(await store.claimDueDeliveries(team, NOW + 60_000, 1_000, 10)).toEqual([{ ...retried, attempts: 1 }]);
  });

  it('keeps a delivery another claim finished finished: a late retry neither resends nor requeues it', async () => {
    const team = uniqueTeam();
    const sent = delivery(team);
    await store.enqueueDelivery(sent, NOW);
    // Two instances hold it (the first outlived its lease); the second delivers it, then the first retries.
    await store.claimDueDeliveries(team, NOW, 1_000, 10);
    expect(await store.claimDueDeliveries(team, NOW + 1_000, 1_000, 10)).toEqual([sent]);
    await store.recordDelivery(sent, { state: 'delivered' });
    await store.recordDelivery({ ...sent, attempts: 1 }, { state: 'retry', at: NOW + 2_000 });
    expect(await store.claimDueDeliveries(team, NOW + 60_000, 1_000, 10)).toEqual([]);
  });
});

describe('delivery queue ids without a record (Redis)', () => {
  it('leave the queue when claimed, rather than being claimed again every lease', async () => {
    const store = servers.open('redis');
    const redis = new Redis(servers.redisUrl());
    try {
      const team = uniqueTeam();
      const keys = teamKeys(team);
      await redis.zadd(keys.deliveries, NOW, 'orphan');
      expect(await store.claimDueDeliveries(team, NOW, 1_000, 10)).toEqual([]);
      expect(await redis.zscore(keys.deliveries, 'orphan')).toBeNull();
    } finally {
      redis.disconnect();
      await store.close();
    }
  });
});
