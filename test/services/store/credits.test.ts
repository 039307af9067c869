// The credits and ledger contract (reserve, release, attachJob, settle, renewLease,
// expiredReservations, spend, readLedger, aggregates) on Redis, Redis Cluster and memory.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { windowOf, windowsAt } from '../../../src/domain/budgets.js';
import { isStaleSpendField } from '../../../src/domain/spend-fields.js';
import type { Store } from '../../../src/services/store/store.js';
import { uniqueTeam } from '../../helpers/gateway.js';
import { DAY, NOW, reservation, STORE_KINDS, useStoreServers } from './stores.js';

const servers = useStoreServers();

describe.each(STORE_KINDS)('credits and ledger (%s)', (kind) => {
  let store: Store;
  beforeAll(() => {
    store = servers.open(kind);
  });
  afterAll(async () => {
    await store.close();
  });

  const release = (team: string, reservationId: string) =>
    store.release({ team, reservationId, day: DAY, requestId: 'req-test', now: NOW, why: 'test' });

  const spendOf = async (team: string, keyId: string) => store.spend({ team, keyId, windows: windowsAt(NOW) });

  it('counts a reservation in every window of the key and the team', async () => {
    const team = uniqueTeam();
    expect(await store.reserve(reservation(team, 'k1'))).toEqual({ ok: true });
    const spend = await spendOf(team, 'k1');
    expect(spend.key).toEqual({ '2026-11-25': 3, '2026-W48': 3, '2026-11': 3, total: 3 });
    expect(spend.team).toEqual({ '2026-11-25': 3, '2026-W48': 3, '2026-11': 3, total: 3 });
  });

  it('prunes the counters of windows long past, keeping the current ones and total', async () => {
    const team = uniqueTeam();
    const earlier = NOW - 10 * 86_400_000;
    await store.reserve(reservation(team, 'k1', { now: earlier, windows: windowsAt(earlier) }));
    await store.reserve(reservation(team, 'k1'));
    expect(await store.pruneSpend(team, (field) => isStaleSpendField(field, NOW))).toBe(4);
    expect((await store.spend({ team, keyId: 'k1', windows: windowsAt(earlier) })).key).toEqual({
      '2026-11-15': 0,
      '2026-W46': 0,
      '2026-11': 6,
      total: 6,
    });
    expect((await spendOf(team, 'k1')).key).toEqual({ '2026-11-25': 3, '2026-W48': 3, '2026-11': 6, total: 6 });
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
    const settle = {
      team,
      jobId,
      status: 'COMPLETED',
      credits: 2,
      finalBody: '{"status":"COMPLETED"}',
      now: NOW,
      day: DAY,
      requestId: 'req-test',
    };
    expect(await store.settle(settle)).toEqual({ settled: true, overrun: 0 });
    expect(await store.settle({ ...settle, credits: 0 })).toEqual({ settled: false, overrun: 0 });
    expect((await spendOf(team, 'k1')).key.total).toBe(2);
    expect(await store.getJob(team, jobId)).toMatchObject({
      state: 'settled',
      charged: 2,
      finalBody: '{"status":"COMPLETED"}',
    });
  });

  it('records what a job cost beyond its reservation as an overrun, and then refuses new work', async () => {
    const team = uniqueTeam();
    const keyBudget = { window: 'total', limit: 3 };
    const r = reservation(team, 'k1', { keyBudget });
    const jobId = randomUUID();
    await store.reserve(r);
    await store.attachJob({ ...r, jobId });
    const settled = await store.settle({
      team,
      jobId,
      status: 'COMPLETED',
      credits: 5,
      finalBody: '{}',
      now: NOW,
      day: DAY,
      requestId: 'req-test',
    });
    expect(settled).toEqual({ settled: true, overrun: 2 });
    const entries = await store.readLedger(team, null, 10);
    expect(entries.map((e) => `${e.kind} ${e.credits}`)).toEqual(['reserve 3', 'settle 0', 'overrun 2']);
    expect(entries[2]).toMatchObject({ jobId, note: 'charged 5, reserved 3' });
    expect((await spendOf(team, 'k1')).key.total).toBe(5);
    expect(await store.reserve(reservation(team, 'k1', { keyBudget, credits: 1 }))).toEqual({
      ok: false,
      available: 0,
    });
    expect(
      await store.reserve(reservation(team, 'k1', { keyBudget: { window: 'total', limit: 6 }, credits: 1 })),
    ).toEqual({ ok: true });
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
    expect(entries.map((e) => `${e.kind} ${e.credits} ${e.note}`)).toEqual([
      'reserve 3 ',
      'release -3 test',
      'reserve 3 reservation lapsed',
    ]);
    await store.settle({
      team,
      jobId,
      status: 'COMPLETED',
      credits: 3,
      finalBody: '{}',
      now: NOW,
      day: DAY,
      requestId: 'req-test',
    });
    expect((await spendOf(team, 'k1')).key.total).toBe(3);
  });

  it('takes a lapsed reservation again when its job is recorded: beyond the budget as an overrun', async () => {
    const team = uniqueTeam();
    const keyBudget = { window: 'total', limit: 4 };
    const lapsed = reservation(team, 'k1', { keyBudget });
    await store.reserve(lapsed);
    await release(team, lapsed.reservationId);
    await store.reserve(reservation(team, 'k1', { keyBudget, credits: 2 }));
    expect(await store.attachJob({ ...lapsed, jobId: randomUUID() })).toEqual({
      state: 'retaken',
      overrun: 1,
      released: 0,
    });
    const entries = await store.readLedger(team, null, 10);
    expect(entries.slice(-2).map((e) => `${e.kind} ${e.credits} ${e.note}`)).toEqual([
      'reserve 2 reservation lapsed',
      'overrun 1 reservation lapsed',
    ]);
    expect((await spendOf(team, 'k1')).key.total).toBe(5);
  });

  it('lists reservations whose lease has run out', async () => {
    const team = uniqueTeam();
    const live = reservation(team, 'k1', { leaseUntil: NOW + 1_000 });
    const dead = reservation(team, 'k1', { leaseUntil: NOW - 1 });
    await store.reserve(live);
    await store.reserve(dead);
    expect(await store.expiredReservations(team, NOW, 10)).toEqual([
      { reservationId: dead.reservationId, team, model: 'seedream-4', day: DAY },
    ]);
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
    expect((await store.expiredReservations(team, NOW + 1_000, 10)).map((r) => r.reservationId)).toEqual([
      live.reservationId,
    ]);
  });

  it('stays exact under 200 concurrent reservations against one budget', async () => {
    const team = uniqueTeam();
    const keyBudget = { window: 'total', limit: 100 };
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        store.reserve(reservation(team, `k${i % 3}`, { credits: 1, keyBudget: null, teamBudget: keyBudget })),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(100);
    expect((await spendOf(team, 'k0')).team.total).toBe(100);
  });

  it("reports a team's spend alone when no key is asked for", async () => {
    const team = uniqueTeam();
    await store.reserve(reservation(team, 'k1'));
    await store.reserve(reservation(team, 'k2', { credits: 2 }));
    const spend = await store.spend({ team, windows: ['total', '2026-11-25'] });
    expect(spend).toEqual({ key: {}, team: { total: 5, '2026-11-25': 5 } });
  });

  it('writes one entry per movement, and aggregates that add up to the spend', async () => {
    const team = uniqueTeam();
    const windows = windowsAt(NOW);
    const base = {
      team,
      keyId: 'k1',
      model: 'seedream-4',
      credits: 3,
      windows,
      keyBudget: null,
      teamBudget: null,
      now: NOW,
      leaseUntil: NOW + 60_000,
    };
    const completed = { ...base, reservationId: randomUUID(), requestId: 'r1' };
    const failed = { ...base, reservationId: randomUUID(), requestId: 'r2' };
    const refused = { ...base, reservationId: randomUUID(), requestId: 'r3' };
    for (const r of [completed, failed, refused]) await store.reserve(r);
    const [jobA, jobB] = [randomUUID(), randomUUID()];
    await store.attachJob({ ...completed, jobId: jobA });
    await store.attachJob({ ...failed, jobId: jobB });
    await store.release({
      team,
      reservationId: refused.reservationId,
      day: windows[0]!,
      requestId: 'r3',
      now: NOW,
      why: 'upstream timeout',
    });
    await store.settle({
      team,
      jobId: jobA,
      day: windows[0]!,
      status: 'COMPLETED',
      credits: 4,
      finalBody: '{}',
      now: NOW,
      requestId: 'p1',
    });
    await store.settle({
      team,
      jobId: jobB,
      day: windows[0]!,
      status: 'FAILED',
      credits: 0,
      finalBody: '{}',
      now: NOW,
      requestId: 'p2',
    });

    const entries = await store.readLedger(team, null, 100);
    expect(entries.map((e) => `${e.kind} ${e.credits}`)).toEqual([
      'reserve 3',
      'reserve 3',
      'reserve 3',
      'release -3',
      'settle 0',
      'overrun 1',
      'refund -3',
    ]);
    expect(entries[3]).toMatchObject({
      requestId: 'r3',
      note: 'upstream timeout',
      reservationId: refused.reservationId,
      day: '2026-11-25',
    });
    expect(entries[4]).toMatchObject({ jobId: jobA, requestId: 'p1', keyId: 'k1', model: 'seedream-4', team, ts: NOW });
    const ledgerSum = entries.reduce((sum, e) => sum + e.credits, 0);
    expect(ledgerSum).toBe(4);
    expect((await store.spend({ team, keyId: 'k1', windows })).key.total).toBe(4);

    const cells = await store.aggregates(team, ['2026-11-24', '2026-11-25']);
    expect(cells).toEqual([
      {
        day: '2026-11-25',
        team,
        keyId: 'k1',
        model: 'seedream-4',
        credits: 4,
        charged: 4,
        reserve: 3,
        release: 1,
        settle: 1,
        refund: 1,
        overrun: 1,
        overrunCredits: 1,
      },
    ]);

    const page = await store.readLedger(team, entries[1]!.id, 2);
    expect(page.map((e) => e.id)).toEqual([entries[2]!.id, entries[3]!.id]);
  });

  it('has no ledger entries or aggregates for a team that moved nothing', async () => {
    const team = uniqueTeam();
    expect(await store.readLedger(team, null, 10)).toEqual([]);
    expect(await store.aggregates(team, [DAY])).toEqual([]);
    expect(await store.expiredReservations(team, NOW, 10)).toEqual([]);
  });
});

describe('reservation leases on Redis', () => {
  it('drops the lease of a reservation that is already gone, so it cannot block the reconciler', async () => {
    const store = servers.open('redis');
    const raw = new Redis(servers.redisUrl());
    try {
      const team = uniqueTeam();
      const reservationId = randomUUID();
      const r = {
        reservationId,
        team,
        keyId: 'k1',
        model: 'seedream-4',
        credits: 3,
        windows: windowsAt(NOW),
        keyBudget: null,
        teamBudget: null,
      };
      await store.reserve({ ...r, now: NOW, requestId: 'req-test', leaseUntil: NOW - 1 });
      await raw.del(`gw:{t:${team}}:res:${reservationId}`);
      expect(
        await store.release({ team, reservationId, day: '2026-11-25', requestId: 'req-test', now: NOW, why: 'test' }),
      ).toBe(0);
      expect(await store.expiredReservations(team, NOW, 10)).toEqual([]);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });
});
