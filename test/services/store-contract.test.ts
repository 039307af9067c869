// The same contract, checked against every store: Redis (Lua), Redis Cluster (the same scripts,
// every script's keys in one hash slot) and the embedded memory store.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { windowOf, windowsAt } from '../../src/domain/budgets.js';
import { createMemoryStore } from '../../src/services/store/memory-store.js';
import { connectRedis } from '../../src/services/store/redis-connection.js';
import { createRedisStore } from '../../src/services/store/redis-store.js';
import type { ChangeEvent } from '../../src/domain/changes.js';
import type { AuditEntry, TeamKeyRecord, TeamRecord } from '../../src/domain/keys.js';
import type { ReserveRequest } from '../../src/services/store/credits/contract.js';
import type { Store } from '../../src/services/store/store.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { uniqueTeam } from '../helpers/gateway.js';

let redis: RedisServer;
let cluster: RedisCluster;
beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([redis.destroy(), cluster.destroy()]);
});

type StoreKind = 'redis' | 'cluster' | 'memory';
const KINDS: StoreKind[] = ['redis', 'cluster', 'memory'];

function openStore(kind: StoreKind): Store {
  const options = { ledgerRetentionMs: 400 * 86_400_000 };
  if (kind === 'memory') return createMemoryStore(options);
  const connection = kind === 'redis' ? { url: redis.url } : { clusterNodes: cluster.nodes };
  return createRedisStore(connectRedis({ ...connection, commandTimeoutMs: 2_000 }), options);
}

const NOW = Date.parse('2026-11-25T12:00:00.000Z');

describe.each(KINDS)('store contract (%s)', (kind) => {
  let store: Store;
  beforeAll(() => {
    store = openStore(kind);
  });
  afterAll(async () => {
    await store.close();
  });

  function reservation(team: string, keyId: string, overrides: Partial<ReserveRequest> = {}): ReserveRequest {
    return {
      reservationId: randomUUID(),
      team,
      keyId,
      model: 'seedream-4',
      credits: 3,
      windows: windowsAt(NOW),
      keyBudget: null,
      teamBudget: null,
      now: NOW,
      requestId: 'req-test',
      leaseUntil: NOW + 60_000,
      ...overrides,
    };
  }

  const DAY = '2026-11-25';
  const release = (team: string, reservationId: string) =>
    store.release({ team, reservationId, day: DAY, requestId: 'req-test', now: NOW, why: 'test' });

  const spendOf = async (team: string, keyId: string) =>
    store.spend({ team, keyId, windows: windowsAt(NOW) });

  it('counts a reservation in every window of the key and the team', async () => {
    const team = uniqueTeam();
    expect(await store.reserve(reservation(team, 'k1'))).toEqual({ ok: true });
    const spend = await spendOf(team, 'k1');
    expect(spend.key).toEqual({ '2026-11-25': 3, '2026-W48': 3, '2026-11': 3, total: 3 });
    expect(spend.team).toEqual({ '2026-11-25': 3, '2026-W48': 3, '2026-11': 3, total: 3 });
  });

  it('refuses a reservation beyond the key budget and reports what is left', async () => {
    const team = uniqueTeam();
    const keyBudget = { window: windowOf('day', NOW), limit: 5 };
    expect(await store.reserve(reservation(team, 'k1', { keyBudget }))).toEqual({ ok: true });
    expect(await store.reserve(reservation(team, 'k1', { keyBudget }))).toEqual({ ok: false, available: 2 });
    expect((await spendOf(team, 'k1')).key.total).toBe(3);
  });

  it('applies the tighter of the key and team budgets, across the team’s keys', async () => {
    const team = uniqueTeam();
    const teamBudget = { window: windowOf('month', NOW), limit: 6 };
    expect(await store.reserve(reservation(team, 'k1', { teamBudget }))).toEqual({ ok: true });
    expect(await store.reserve(reservation(team, 'k2', { teamBudget }))).toEqual({ ok: true });
    expect(await store.reserve(reservation(team, 'k3', { teamBudget }))).toEqual({ ok: false, available: 0 });
  });

  it('never reports negative credits when a budget was lowered below spend', async () => {
    const team = uniqueTeam();
    await store.reserve(reservation(team, 'k1'));
    const result = await store.reserve(reservation(team, 'k1', { keyBudget: { window: 'total', limit: 1 } }));
    expect(result).toEqual({ ok: false, available: 0 });
  });

  it('releases a reservation once', async () => {
    const team = uniqueTeam();
    const r = reservation(team, 'k1');
    await store.reserve(r);
    expect(await release(team, r.reservationId)).toBe(3);
    expect(await release(team, r.reservationId)).toBe(0);
    expect((await spendOf(team, 'k1')).key.total).toBe(0);
  });

  it('settles an attached job exactly once with the charged credits', async () => {
    const team = uniqueTeam();
    const r = reservation(team, 'k1');
    const jobId = randomUUID();
    await store.reserve(r);
    expect(await store.attachJob({ ...r, jobId })).toEqual({ state: 'attached', overrun: 0, released: 0 });
    expect(await store.getJob(team, jobId)).toMatchObject({ jobId, keyId: 'k1', reserved: 3, state: 'pending' });
    const settle = { team, jobId, status: 'COMPLETED', credits: 2, finalBody: '{"status":"COMPLETED"}', now: NOW, day: DAY, requestId: 'req-test' };
    expect(await store.settle(settle)).toEqual({ settled: true, overrun: 0 });
    expect(await store.settle({ ...settle, credits: 0 })).toEqual({ settled: false, overrun: 0 });
    expect((await spendOf(team, 'k1')).key.total).toBe(2);
    expect(await store.getJob(team, jobId)).toMatchObject({ state: 'settled', charged: 2, finalBody: '{"status":"COMPLETED"}' });
  });

  it('records what a job cost beyond its reservation as an overrun, and then refuses new work', async () => {
    const team = uniqueTeam();
    const keyBudget = { window: 'total', limit: 3 };
    const r = reservation(team, 'k1', { keyBudget });
    const jobId = randomUUID();
    await store.reserve(r);
    await store.attachJob({ ...r, jobId });
    const settled = await store.settle({ team, jobId, status: 'COMPLETED', credits: 5, finalBody: '{}', now: NOW, day: DAY, requestId: 'req-test' });
    expect(settled).toEqual({ settled: true, overrun: 2 });
    const entries = await store.readLedger(team, null, 10);
    expect(entries.map((e) => `${e.kind} ${e.credits}`)).toEqual(['reserve 3', 'settle 0', 'overrun 2']);
    expect(entries[2]).toMatchObject({ jobId, note: 'charged 5, reserved 3' });
    expect((await spendOf(team, 'k1')).key.total).toBe(5);
    expect(await store.reserve(reservation(team, 'k1', { keyBudget, credits: 1 }))).toEqual({ ok: false, available: 0 });
    expect(await store.reserve(reservation(team, 'k1', { keyBudget: { window: 'total', limit: 6 }, credits: 1 }))).toEqual({ ok: true });
  });

  it('returns the reservation of a job it already knows (an idempotent replay)', async () => {
    const team = uniqueTeam();
    const jobId = randomUUID();
    const first = reservation(team, 'k1');
    const replay = reservation(team, 'k1');
    await store.reserve(first);
    await store.reserve(replay);
    expect(await store.attachJob({ ...first, jobId })).toEqual({ state: 'attached', overrun: 0, released: 0 });
    expect(await store.attachJob({ ...replay, jobId })).toEqual({ state: 'duplicate', overrun: 0, released: 3 });
    // A retried attach (its first try ran, but its answer was lost) returns nothing more.
    expect(await store.attachJob({ ...first, jobId })).toEqual({ state: 'duplicate', overrun: 0, released: 0 });
    expect((await spendOf(team, 'k1')).key.total).toBe(3);
  });

  it('takes a lapsed reservation again when its job is recorded: within the budget as a reservation', async () => {
    const team = uniqueTeam();
    const r = reservation(team, 'k1', { keyBudget: { window: 'total', limit: 3 } });
    const jobId = randomUUID();
    await store.reserve(r);
    await release(team, r.reservationId);
    expect(await store.attachJob({ ...r, jobId })).toEqual({ state: 'retaken', overrun: 0, released: 0 });
    expect(await store.getJob(team, jobId)).toMatchObject({ reserved: 3 });
    const entries = await store.readLedger(team, null, 10);
    expect(entries.map((e) => `${e.kind} ${e.credits} ${e.note}`)).toEqual(['reserve 3 ', 'release -3 test', 'reserve 3 reservation lapsed']);
    await store.settle({ team, jobId, status: 'COMPLETED', credits: 3, finalBody: '{}', now: NOW, day: DAY, requestId: 'req-test' });
    expect((await spendOf(team, 'k1')).key.total).toBe(3);
  });

  it('takes a lapsed reservation again when its job is recorded: beyond the budget as an overrun', async () => {
    const team = uniqueTeam();
    const keyBudget = { window: 'total', limit: 4 };
    const lapsed = reservation(team, 'k1', { keyBudget });
    await store.reserve(lapsed);
    await release(team, lapsed.reservationId);
    await store.reserve(reservation(team, 'k1', { keyBudget, credits: 2 }));
    expect(await store.attachJob({ ...lapsed, jobId: randomUUID() })).toEqual({ state: 'retaken', overrun: 1, released: 0 });
    const entries = await store.readLedger(team, null, 10);
    expect(entries.slice(-2).map((e) => `${e.kind} ${e.credits} ${e.note}`)).toEqual(['reserve 2 reservation lapsed', 'overrun 1 reservation lapsed']);
    expect((await spendOf(team, 'k1')).key.total).toBe(5);
  });

  it('lists reservations whose lease has run out', async () => {
    const team = uniqueTeam();
    const live = reservation(team, 'k1', { leaseUntil: NOW + 1_000 });
    const dead = reservation(team, 'k1', { leaseUntil: NOW - 1 });
    await store.reserve(live);
    await store.reserve(dead);
    expect(await store.expiredReservations(team, NOW, 10)).toEqual([{ reservationId: dead.reservationId, team, model: 'seedream-4', day: DAY }]);
  });

  it('renews a live reservation’s lease, and never brings back a released one', async () => {
    const team = uniqueTeam();
    const live = reservation(team, 'k1', { leaseUntil: NOW - 1 });
    const released = reservation(team, 'k1', { leaseUntil: NOW - 1 });
    await store.reserve(live);
    await store.reserve(released);
    await release(team, released.reservationId);
    await store.renewLease(team, live.reservationId, NOW + 1_000);
    await store.renewLease(team, released.reservationId, NOW + 1_000);
    expect(await store.expiredReservations(team, NOW, 10)).toEqual([]);
    expect((await store.expiredReservations(team, NOW + 1_000, 10)).map((r) => r.reservationId)).toEqual([live.reservationId]);
  });

  it('hands out pending jobs when due and defers them', async () => {
    const team = uniqueTeam();
    const r = reservation(team, 'k1');
    const jobId = randomUUID();
    await store.reserve(r);
    await store.attachJob({ ...r, jobId });
    expect((await store.pendingJobs(team, NOW, 10)).map((j) => j.jobId)).toEqual([jobId]);
    await store.deferJob(team, jobId, NOW + 5_000);
    expect(await store.pendingJobs(team, NOW, 10)).toEqual([]);
    expect((await store.pendingJobs(team, NOW + 5_000, 10)).map((j) => j.jobId)).toEqual([jobId]);
    await store.settle({ team, jobId, status: 'FAILED', credits: 0, finalBody: '{}', now: NOW, day: DAY, requestId: 'req-test' });
    expect(await store.pendingJobs(team, NOW + 10_000, 10)).toEqual([]);
  });

  it('lets one poller fetch at a time and serves the others the last state seen', async () => {
    const team = uniqueTeam();
    const r = reservation(team, 'k1');
    const jobId = randomUUID();
    await store.reserve(r);
    await store.attachJob({ ...r, jobId });
    const poll = (now: number) => store.pollJob(team, jobId, now, 1_000, 60_000);
    expect(await poll(NOW)).toMatchObject({ action: 'fetch', stale: null });
    expect((await poll(NOW))?.action).toBe('wait');
    await store.saveSnapshot(team, jobId, '{"status":"PROCESSING"}', NOW);
    expect(await poll(NOW + 1_000)).toMatchObject({ action: 'snapshot', body: '{"status":"PROCESSING"}' });
    expect(await poll(NOW + 1_001)).toMatchObject({ action: 'fetch', stale: { body: '{"status":"PROCESSING"}', at: NOW } });
    expect(await poll(NOW + 1_001)).toMatchObject({ action: 'snapshot', body: '{"status":"PROCESSING"}' });
    expect(await store.pollJob(team, randomUUID(), NOW, 1_000, 60_000)).toBeNull();
  });

  it('only looks when asked to take no lock, leaving the right to fetch to a poller', async () => {
    const team = uniqueTeam();
    const r = reservation(team, 'k1');
    const jobId = randomUUID();
    await store.reserve(r);
    await store.attachJob({ ...r, jobId });
    const look = (now: number) => store.pollJob(team, jobId, now, 1_000, 0);
    expect(await look(NOW)).toMatchObject({ action: 'due', stale: null });
    expect(await store.pollJob(team, jobId, NOW, 1_000, 60_000)).toMatchObject({ action: 'fetch', stale: null });
    expect(await look(NOW)).toMatchObject({ action: 'due', stale: null });
    await store.saveSnapshot(team, jobId, '{"status":"PROCESSING"}', NOW);
    expect(await look(NOW + 1_000)).toMatchObject({ action: 'snapshot', body: '{"status":"PROCESSING"}' });
    expect(await look(NOW + 1_001)).toMatchObject({ action: 'due', stale: { body: '{"status":"PROCESSING"}', at: NOW } });
    expect(await store.pollJob(team, jobId, NOW + 1_001, 1_000, 60_000)).toMatchObject({ action: 'fetch' });
  });

  it('treats an empty final body as absent, and keeps the body a later settlement brings', async () => {
    const team = uniqueTeam();
    const r = reservation(team, 'k1');
    const jobId = randomUUID();
    await store.reserve(r);
    await store.attachJob({ ...r, jobId });
    const settle = { team, jobId, status: 'COMPLETED', credits: 3, finalBody: '', now: NOW, day: DAY, requestId: 'req-test' };
    expect(await store.settle(settle)).toEqual({ settled: true, overrun: 0 });
    expect(await store.getJob(team, jobId)).toMatchObject({ state: 'settled', finalBody: null });
    expect((await store.listJobs({ team, limit: 10 })).jobs).toMatchObject([{ jobId, state: 'settled', finalBody: null }]);
    expect((await store.pollJob(team, jobId, NOW, 1_000, 60_000))?.action).toBe('fetch');
    expect(await store.settle({ ...settle, finalBody: '{"status":"COMPLETED"}' })).toEqual({ settled: false, overrun: 0 });
    expect(await store.getJob(team, jobId)).toMatchObject({ finalBody: '{"status":"COMPLETED"}' });
    expect(await store.pollJob(team, jobId, NOW, 1_000, 60_000)).toMatchObject({ action: 'final', body: '{"status":"COMPLETED"}' });
  });

  it('gives a lease to one holder at a time', async () => {
    const name = `lease-${randomUUID()}`;
    expect(await store.acquireLease(name, 'a', 10_000)).toBe(true);
    expect(await store.acquireLease(name, 'b', 10_000)).toBe(false);
    expect(await store.acquireLease(name, 'a', 10_000)).toBe(true);
  });

  it('stays exact under 200 concurrent reservations against one budget', async () => {
    const team = uniqueTeam();
    const keyBudget = { window: 'total', limit: 100 };
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => store.reserve(reservation(team, `k${i % 3}`, { credits: 1, keyBudget: null, teamBudget: keyBudget }))),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(100);
    expect((await spendOf(team, 'k0')).team.total).toBe(100);
  });
});

describe('change notifications on Redis', () => {
  it('resync on a message that is not the gateway’s, and crash nothing', async () => {
    const store = openStore('redis');
    const raw = new Redis(redis.url);
    try {
      const heard: string[] = [];
      store.onChange((event) => heard.push(event === 'resync' ? 'resync' : event.kind));
      for (let attempt = 0; attempt < 100 && !store.changesLive(); attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
      heard.length = 0;
      await raw.publish('gw:changes', 'not json {');
      for (let attempt = 0; attempt < 100 && !heard.includes('resync'); attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(heard).toContain('resync');
    } finally {
      raw.disconnect();
      await store.close();
    }
  });
});

describe('reservation leases on Redis', () => {
  it('drops the lease of a reservation that is already gone, so it cannot block the reconciler', async () => {
    const store = openStore('redis');
    const raw = new Redis(redis.url);
    try {
      const team = uniqueTeam();
      const reservationId = randomUUID();
      const r = { reservationId, team, keyId: 'k1', model: 'seedream-4', credits: 3, windows: windowsAt(NOW), keyBudget: null, teamBudget: null };
      await store.reserve({ ...r, now: NOW, requestId: 'req-test', leaseUntil: NOW - 1 });
      await raw.del(`gw:{t:${team}}:res:${reservationId}`);
      expect(await store.release({ team, reservationId, day: '2026-11-25', requestId: 'req-test', now: NOW, why: 'test' })).toBe(0);
      expect(await store.expiredReservations(team, NOW, 10)).toEqual([]);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });
});

describe.each(KINDS)('ledger and aggregates (%s)', (kind) => {
  let store: Store;
  beforeAll(() => {
    store = openStore(kind);
  });
  afterAll(async () => {
    await store.close();
  });

  it('writes one entry per movement, and aggregates that add up to the spend', async () => {
    const team = uniqueTeam();
    const windows = windowsAt(NOW);
    const base = { team, keyId: 'k1', model: 'seedream-4', credits: 3, windows, keyBudget: null, teamBudget: null, now: NOW, leaseUntil: NOW + 60_000 };
    const completed = { ...base, reservationId: randomUUID(), requestId: 'r1' };
    const failed = { ...base, reservationId: randomUUID(), requestId: 'r2' };
    const refused = { ...base, reservationId: randomUUID(), requestId: 'r3' };
    for (const r of [completed, failed, refused]) await store.reserve(r);
    const [jobA, jobB] = [randomUUID(), randomUUID()];
    await store.attachJob({ ...completed, jobId: jobA });
    await store.attachJob({ ...failed, jobId: jobB });
    await store.release({ team, reservationId: refused.reservationId, day: windows[0]!, requestId: 'r3', now: NOW, why: 'upstream timeout' });
    await store.settle({ team, jobId: jobA, day: windows[0]!, status: 'COMPLETED', credits: 4, finalBody: '{}', now: NOW, requestId: 'p1' });
    await store.settle({ team, jobId: jobB, day: windows[0]!, status: 'FAILED', credits: 0, finalBody: '{}', now: NOW, requestId: 'p2' });

    const entries = await store.readLedger(team, null, 100);
    expect(entries.map((e) => `${e.kind} ${e.credits}`)).toEqual(['reserve 3', 'reserve 3', 'reserve 3', 'release -3', 'settle 0', 'overrun 1', 'refund -3']);
    expect(entries[3]).toMatchObject({ requestId: 'r3', note: 'upstream timeout', reservationId: refused.reservationId, day: '2026-11-25' });
    expect(entries[4]).toMatchObject({ jobId: jobA, requestId: 'p1', keyId: 'k1', model: 'seedream-4', team, ts: NOW });
    const ledgerSum = entries.reduce((sum, e) => sum + e.credits, 0);
    expect(ledgerSum).toBe(4);
    expect((await store.spend({ team, keyId: 'k1', windows })).key.total).toBe(4);

    const cells = await store.aggregates(team, ['2026-11-24', '2026-11-25']);
    expect(cells).toEqual([
      { day: '2026-11-25', team, keyId: 'k1', model: 'seedream-4', credits: 4, charged: 4, reserve: 3, release: 1, settle: 1, refund: 1, overrun: 1, overrunCredits: 1 },
    ]);

    const page = await store.readLedger(team, entries[1]!.id, 2);
    expect(page.map((e) => e.id)).toEqual([entries[2]!.id, entries[3]!.id]);
  });
});

/** Waits for `condition`, failing after a bound far beyond the milliseconds it takes. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > 5_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe.each(KINDS)('change announcements (%s)', (kind) => {
  // Another gateway instance: a store of its own on the same Redis (memory: the same store).
  let store: Store;
  let other: Store;
  beforeAll(() => {
    store = openStore(kind);
    other = kind === 'memory' ? store : openStore(kind);
  });
  afterAll(async () => {
    await store.close();
    if (other !== store) await other.close();
  });

  const at = new Date(NOW).toISOString();
  const audit: AuditEntry = { at, actor: 'test', action: 'test', target: 'test', before: null, after: null, requestId: 'req-test' };
  const team = (id: string): TeamRecord => ({ id, name: id, budget: null, createdAt: at, updatedAt: at, version: 1 });
  const key = (teamId: string): TeamKeyRecord => ({
    id: randomUUID(), name: 'k', team: teamId, prefix: 'afk_x', hash: randomUUID(), previousHash: null,
    previousHashExpiresAt: null, createdAt: at, updatedAt: at, version: 1, budget: null, expiresAt: null,
    revokedAt: null, scopes: ['generate'], allowedModels: null, allowedOrigins: [], rateLimit: null, metadata: {},
  });

  it('announces a saved team and key to every instance from the save itself, and a refused save not at all', async () => {
    const heard: ChangeEvent[] = [];
    other.onChange((event) => event !== 'resync' && heard.push(event));
    await until(() => other.changesLive(), 'the change subscription');
    const savedTeam = team(uniqueTeam());
    const savedKey = key(savedTeam.id);
    expect(await store.saveTeam({ record: savedTeam, expectedVersion: 0, audit })).toBe(true);
    expect(await store.saveTeam({ record: savedTeam, expectedVersion: 0, audit })).toBe(false);
    expect(await store.saveKey({ record: savedKey, expectedVersion: 0, audit })).toBe(true);
    await until(() => heard.some((event) => event.kind === 'key' && event.id === savedKey.id), 'the key announcement');
    const ours = heard.filter((event) => 'id' in event && [savedTeam.id, savedKey.id].includes(event.id));
    expect(ours).toEqual([{ kind: 'team', id: savedTeam.id }, { kind: 'key', id: savedKey.id }]);
  });
});
