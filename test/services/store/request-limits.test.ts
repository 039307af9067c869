// The request-limits contract (countRequest, and the counting a reservation and a poll do in
// their own step) on Redis, Redis Cluster and memory.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { windowsAt } from '../../../src/domain/budgets.js';
import type { RequestQuota } from '../../../src/domain/request-limits.js';
import { RequestWindows } from '../../../src/services/store/request-limits/memory.js';
import type { Store } from '../../../src/services/store/store.js';
import { uniqueTeam } from '../../helpers/gateway.js';
import { attachedJob, NOW, reservation, STORE_KINDS, useStoreServers } from './stores.js';

const servers = useStoreServers();

const generate = (perMinute: number, keyId = 'k1'): RequestQuota => ({ policy: 'generate', keyId, perMinute });
const reads = (perMinute: number, keyId = 'k1'): RequestQuota => ({ policy: 'reads', keyId, perMinute });

describe.each(STORE_KINDS)('request limits (%s)', (kind) => {
  let store: Store;
  beforeAll(() => {
    store = servers.open(kind);
  });
  afterAll(async () => {
    await store.close();
  });

  it('counts requests in a window of a minute per team, key and policy', async () => {
    const team = uniqueTeam();
    const first = await store.countRequest(team, generate(5));
    expect(first.count).toBe(1);
    expect(first.resetMs).toBeGreaterThan(55_000);
    expect(first.resetMs).toBeLessThanOrEqual(60_000);
    expect((await store.countRequest(team, generate(5))).count).toBe(2);
    expect((await store.countRequest(team, reads(5))).count).toBe(1);
    expect((await store.countRequest(team, generate(5, 'k2'))).count).toBe(1);
    expect((await store.countRequest(uniqueTeam(), generate(5))).count).toBe(1);
  });

  it('counts a reservation before reserving, and refuses one over its quota with nothing reserved', async () => {
    const team = uniqueTeam();
    const quota = generate(2);
    const reserved = await store.reserve(reservation(team, 'k1', { quota }));
    expect(reserved).toMatchObject({ ok: true, counted: { count: 1 } });
    await store.reserve(reservation(team, 'k1', { quota }));
    const refused = await store.reserve(reservation(team, 'k1', { quota }));
    expect(refused).toMatchObject({ ok: false, overQuota: true, counted: { count: 3 } });
    const spend = await store.spend({ team, keyId: 'k1', windows: windowsAt(NOW) });
    expect(spend.key.total).toBe(6);
    expect((await store.readLedger(team, null, 10)).map((entry) => entry.kind)).toEqual(['reserve', 'reserve']);
    expect(await store.expiredReservations(team, NOW + 120_000, 10)).toHaveLength(2);
  });

  it('counts a reservation refused by a budget, and one with no quota not at all', async () => {
    const team = uniqueTeam();
    const keyBudget = { window: 'total', limit: 1 };
    const refused = await store.reserve(reservation(team, 'k1', { keyBudget, quota: generate(5) }));
    expect(refused).toMatchObject({ ok: false, available: 1, counted: { count: 1 } });
    expect(await store.reserve(reservation(team, 'k1'))).toEqual({ ok: true });
    expect((await store.countRequest(team, generate(5))).count).toBe(2);
  });

  it('counts a poll in the same step, unknown jobs too, and reads nothing over the quota', async () => {
    const team = uniqueTeam();
    const jobId = await attachedJob(store, team);
    const poll = (id: string) => store.countedPollJob(team, id, NOW, 1_000, 60_000, reads(2));
    const first = await poll(jobId);
    expect(first.counted.count).toBe(1);
    expect(first.decision).toMatchObject({ action: 'fetch', record: { jobId } });
    expect(await poll(randomUUID())).toMatchObject({ counted: { count: 2 }, decision: null });
    expect(await poll(jobId)).toMatchObject({ counted: { count: 3 }, decision: null });
    expect(await store.pollJob(team, jobId, NOW, 1_000, 60_000)).toMatchObject({ action: 'wait' });
    expect((await store.countRequest(team, reads(2))).count).toBe(4);
  });
});

describe('request windows in memory', () => {
  it('opens a window with its first request and a new one once it has closed, by the machine clock', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
    try {
      const windows = new RequestWindows();
      expect(windows.count('t', generate(2))).toEqual({ count: 1, resetMs: 60_000 });
      vi.setSystemTime(NOW + 59_999);
      expect(windows.count('t', generate(2))).toEqual({ count: 2, resetMs: 1 });
      vi.setSystemTime(NOW + 60_000);
      expect(windows.count('t', generate(2))).toEqual({ count: 1, resetMs: 60_000 });
      expect(windows.count('t', generate(0))).toEqual({ count: 0, resetMs: 0 });
    } finally {
      vi.useRealTimers();
    }
  });
});
