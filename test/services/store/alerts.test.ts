// The budget alerts contract (alerts raised by reserve, attachJob and settle; alert targets; the
// alert history and its deliveries on the delivery queue) on Redis, Redis Cluster and memory.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, AlertTarget } from '../../../src/domain/alerts.js';
import { windowOf, windowsAt } from '../../../src/domain/budgets.js';
import { ALERT_DELIVERY_PREFIX, ALERT_HISTORY_MAX } from '../../../src/services/store/alerts/lua.js';
import { teamKeys } from '../../../src/services/store/redis-context.js';
import type { Store } from '../../../src/services/store/store.js';
import { uniqueTeam } from '../../helpers/gateway.js';
import { DAY, NOW, reservation, settleRequest, STORE_KINDS, useStoreServers } from './stores.js';

const servers = useStoreServers();

const target = (format: AlertTarget['format'] = 'webhook'): AlertTarget => ({
  id: randomUUID(),
  url: 'https://alerts.example/hook',
  format,
  secretHash: 'ab'.repeat(32),
  createdAt: new Date(NOW).toISOString(),
});

describe.each(STORE_KINDS)('budget alerts (%s)', (kind) => {
  let store: Store;
  const heard: { alerts: Alert[]; requestId: string }[] = [];
  beforeAll(() => {
    store = servers.open(kind);
    store.onAlerts((alerts, requestId) => heard.push({ alerts, requestId }));
  });

  const spendOf = (team: string) => store.spend({ team, windows: windowsAt(NOW) });

  /** The result of a move, and the alerts the store's listeners heard it raise. */
  async function raising<T>(move: () => Promise<T>): Promise<[T, Alert[]]> {
    const from = heard.length;
    const result = await move();
    return [result, heard.slice(from).flatMap((entry) => entry.alerts)];
  }
  afterAll(async () => {
    await store.close();
  });

  const monthBudget = (limit: number, alerts = [50, 80, 100], now = NOW) => ({
    window: windowOf('month', now),
    limit,
    alerts,
  });

  it('raises each threshold of the team budget crossed, once per window, with a delivery per target', async () => {
    const team = uniqueTeam();
    const hook = target();
    await store.saveAlertTarget(team, hook);
    const teamBudget = monthBudget(10);
    const [first, none] = await raising(() => store.reserve(reservation(team, 'k1', { credits: 4, teamBudget })));
    expect([first, none]).toEqual([{ ok: true }, []]);
    const crossing = reservation(team, 'k1', { credits: 4, teamBudget, requestId: 'req-crossing' });
    const [second, raised] = await raising(() => store.reserve(crossing));
    expect(second).toEqual({ ok: true });
    expect(raised.map((alert) => alert.threshold)).toEqual([50, 80]);
    expect(heard.at(-1)?.requestId).toBe('req-crossing');
    const [half] = raised;
    expect(half).toMatchObject({
      team,
      keyId: null,
      kind: 'threshold',
      window: '2026-11',
      spent: 8,
      limit: 10,
      credits: 4,
      at: new Date(NOW).toISOString(),
      deliveries: [{ targetId: hook.id, state: 'pending', attempts: 0 }],
    });
    // Spend going back under 80 % and over it again (the reservation released, another taken)
    // crosses 50 % and 80 % again: the window's markers say they already fired.
    await store.release({ team, reservationId: crossing.reservationId, day: DAY, requestId: 'x', now: NOW, why: 't' });
    expect((await spendOf(team)).team['2026-11']).toBe(4);
    const [, again] = await raising(() => store.reserve(reservation(team, 'k1', { credits: 4, teamBudget })));
    expect(again).toEqual([]);
    const history = await store.alertHistory(team);
    expect(history.map((alert) => alert.threshold)).toEqual([80, 50]);
    const queued = await store.claimDueDeliveries(team, NOW, 1_000, 10);
    expect(queued).toHaveLength(2);
    expect(queued[0]).toMatchObject({ team, url: hook.url, attempts: 0, alert: { targetId: hook.id } });
  });

  it("raises a key budget's thresholds for that key, and re-arms them in a new window", async () => {
    const team = uniqueTeam();
    const keyBudget = monthBudget(10, [80]);
    const [, crossed] = await raising(() => store.reserve(reservation(team, 'k1', { credits: 9, keyBudget })));
    expect(crossed).toEqual([
      expect.objectContaining({ keyId: 'k1', threshold: 80, spent: 9, limit: 10, deliveries: [] }),
    ]);
    const december = Date.parse('2026-12-01T00:00:01.000Z');
    const next = reservation(team, 'k1', {
      credits: 9,
      now: december,
      windows: windowsAt(december),
      keyBudget: monthBudget(10, [80], december),
    });
    const [, rearmed] = await raising(() => store.reserve(next));
    expect(rearmed.map((alert) => alert.window)).toEqual(['2026-12']);
  });

  it('raises no alert without thresholds, and none when the reservation is refused', async () => {
    const team = uniqueTeam();
    expect(await store.reserve(reservation(team, 'k1', { credits: 9, teamBudget: monthBudget(10, []) }))).toEqual({
      ok: true,
    });
    // A refused request adds nothing: it raises only a level spend has reached (9 of 10: not 100 %).
    const refused = await store.reserve(reservation(team, 'k1', { credits: 20, teamBudget: monthBudget(10, [100]) }));
    expect(refused).toEqual({ ok: false, available: 1 });
    expect(await store.alertHistory(team)).toEqual([]);
  });

  const nextReservations = [
    ['taken', 1, { ok: true }],
    ['refused', 2, { ok: false, available: 1 }],
  ] as const;
  for (const [outcome, credits, expected] of nextReservations) {
    it(`an overrun that pushes spend past 80 % raises the 80 % alert on the next reservation, ${outcome}`, async () => {
      const team = uniqueTeam();
      const teamBudget = monthBudget(10, [50, 80]);
      const r = reservation(team, 'k1', { credits: 3, teamBudget });
      const jobId = randomUUID();
      await store.reserve(r);
      await store.attachJob({ ...r, jobId });
      const [, overran] = await raising(() => store.settle(settleRequest(team, jobId, 9)));
      expect(overran.map((alert) => alert.kind)).toEqual(['overrun']);
      const [next, raised] = await raising(() => store.reserve(reservation(team, 'k1', { credits, teamBudget })));
      expect(next).toEqual(expected);
      const spent = expected.ok ? 9 + credits : 9;
      const fields = { kind: 'threshold', keyId: null, spent, limit: 10, credits: expected.ok ? credits : 0 };
      expect(raised).toEqual([
        expect.objectContaining({ ...fields, threshold: 50 }),
        expect.objectContaining({ ...fields, threshold: 80 }),
      ]);
      const [, again] = await raising(() => store.reserve(reservation(team, 'k1', { credits: 5, teamBudget })));
      expect(again).toEqual([]);
    });
  }

  it('lowering a budget below spend raises the passed thresholds once', async () => {
    const team = uniqueTeam();
    const keyBudget = monthBudget(20, [50, 80, 100]);
    const [, none] = await raising(() => store.reserve(reservation(team, 'k1', { credits: 9, keyBudget })));
    expect(none).toEqual([]);
    const lowered = { ...keyBudget, limit: 8 };
    const [refused, raised] = await raising(() =>
      store.reserve(reservation(team, 'k1', { credits: 1, keyBudget: lowered })),
    );
    expect(refused).toEqual({ ok: false, available: 0 });
    expect(raised.map((alert) => [alert.keyId, alert.threshold, alert.spent, alert.limit])).toEqual([
      ['k1', 50, 9, 8],
      ['k1', 80, 9, 8],
      ['k1', 100, 9, 8],
    ]);
    const [, again] = await raising(() => store.reserve(reservation(team, 'k1', { credits: 1, keyBudget: lowered })));
    expect(again).toEqual([]);
    expect(await store.alertHistory(team)).toHaveLength(3);
  });

  it('always raises an overrun, on settlement and on a lapsed reservation retaken', async () => {
    const team = uniqueTeam();
    const r = reservation(team, 'k1');
    const jobId = randomUUID();
    await store.reserve(r);
    await store.attachJob({ ...r, jobId });
    const [settled, overran] = await raising(() => store.settle(settleRequest(team, jobId, 5)));
    expect(settled).toEqual({ settled: true, overrun: 2 });
    expect(overran).toEqual([
      expect.objectContaining({ kind: 'overrun', keyId: 'k1', threshold: null, limit: null, credits: 2, spent: 5 }),
    ]);
    const lapsed = reservation(uniqueTeam(), 'k2', { credits: 3, teamBudget: monthBudget(1, []) });
    const [attached, retaken] = await raising(() => store.attachJob({ ...lapsed, jobId: randomUUID() }));
    expect(attached).toEqual({ state: 'retaken', overrun: 2, released: 0 });
    expect(retaken.map((alert) => [alert.kind, alert.credits])).toEqual([['overrun', 2]]);
  });

  it("raises a LoRA charge's overrun (its reservation lapsed)", async () => {
    const team = uniqueTeam();
    const lapsed = reservation(team, 'k1', { credits: 2 });
    const [charged, raised] = await raising(() => store.chargeLora({ ...lapsed, loraId: randomUUID() }));
    expect(charged).toEqual({ charged: true, overrun: 2, released: 0 });
    expect(raised).toEqual([expect.objectContaining({ kind: 'overrun', keyId: 'k1', credits: 2, spent: 2 })]);
  });

  it("records each delivery's outcome on its alert", async () => {
    const team = uniqueTeam();
    const [hook, slack] = [target(), target('slack')];
    await store.saveAlertTarget(team, hook);
    await store.saveAlertTarget(team, slack);
    await store.reserve(reservation(team, 'k1', { credits: 10, teamBudget: monthBudget(10, [100]) }));
    const claimed = await store.claimDueDeliveries(team, NOW, 1_000, 10);
    const to = (id: string) => claimed.find((delivery) => delivery.alert?.targetId === id)!;
    await store.recordDelivery({ ...to(hook.id), attempts: 1 }, { state: 'retry', at: NOW + 10_000 });
    await store.recordDelivery({ ...to(slack.id), attempts: 1 }, { state: 'delivered' });
    const [alert] = await store.alertHistory(team);
    const states = Object.fromEntries(alert!.deliveries.map((d) => [d.targetId, [d.state, d.attempts]]));
    expect(states).toEqual({ [hook.id]: ['pending', 1], [slack.id]: ['delivered', 1] });
    const retried = await store.claimDueDeliveries(team, NOW + 10_000, 1_000, 10);
    expect(retried).toEqual([
      expect.objectContaining({ attempts: 1, alert: expect.objectContaining({ targetId: hook.id }) }),
    ]);
    await store.recordDelivery({ ...retried[0]!, attempts: 2 }, { state: 'failed' });
    expect((await store.alertHistory(team))[0]!.deliveries).toContainEqual({
      targetId: hook.id,
      state: 'failed',
      attempts: 2,
    });
    expect(await store.claimDueDeliveries(team, NOW + 1e9, 1_000, 10)).toEqual([]);
  });

  it(`keeps the last ${ALERT_HISTORY_MAX} alerts whatever their deliveries' outcomes, forgetting the trimmed ones' deliveries`, async () => {
    const team = uniqueTeam();
    await store.saveAlertTarget(team, target());
    const overrun = async () => {
      const lapsed = reservation(team, 'k1', { credits: 1 });
      const [, [alert]] = await raising(() => store.chargeLora({ ...lapsed, loraId: randomUUID() }));
      return alert!.id;
    };
    const raised: string[] = [];
    for (let i = 0; i < ALERT_HISTORY_MAX; i++) raised.push(await overrun());
    const claimed = await store.claimDueDeliveries(team, NOW, 1_000, ALERT_HISTORY_MAX);
    expect(claimed).toHaveLength(ALERT_HISTORY_MAX);
    for (const delivery of claimed) await store.recordDelivery({ ...delivery, attempts: 1 }, { state: 'delivered' });
    for (let i = 0; i < 5; i++) raised.push(await overrun());
    const history = await store.alertHistory(team);
    expect(history.map((alert) => alert.id)).toEqual(raised.slice(5).reverse());
    expect(history.slice(0, 5).flatMap((alert) => alert.deliveries.map((d) => d.state))).toEqual(
      Array(5).fill('pending'),
    );
    expect(new Set(history.slice(5).flatMap((alert) => alert.deliveries.map((d) => d.state)))).toEqual(
      new Set(['delivered']),
    );
    if (kind !== 'redis') return;
    const redis = new Redis(servers.redisUrl());
    try {
      expect(await redis.hlen(teamKeys(team).alertDeliveries)).toBe(ALERT_HISTORY_MAX - 5);
    } finally {
      redis.disconnect();
    }
  });

  it('lets no late retry bring back a delivery another claim of it finished', async () => {
    const team = uniqueTeam();
    const hook = target();
    await store.saveAlertTarget(team, hook);
    await store.reserve(reservation(team, 'k1', { credits: 10, teamBudget: monthBudget(10, [100]) }));
    const [first] = await store.claimDueDeliveries(team, NOW, 1_000, 10);
    const [second] = await store.claimDueDeliveries(team, NOW + 1_000, 1_000, 10);
    expect(second?.id).toBe(first!.id);
    await store.recordDelivery({ ...first!, attempts: 1 }, { state: 'delivered' });
    await store.recordDelivery({ ...second!, attempts: 1 }, { state: 'retry', at: NOW + 10_000 });
    expect(await store.claimDueDeliveries(team, NOW + 1e9, 1_000, 10)).toEqual([]);
    expect((await store.alertHistory(team))[0]!.deliveries).toEqual([
      { targetId: hook.id, state: 'delivered', attempts: 1 },
    ]);
  });

  it.runIf(kind === 'redis')('drops from the queue a claimed alert delivery whose outbox entry is gone', async () => {
    const team = uniqueTeam();
    await store.saveAlertTarget(team, target());
    await store.reserve(reservation(team, 'k1', { credits: 10, teamBudget: monthBudget(10, [100]) }));
    const redis = new Redis(servers.redisUrl());
    try {
      const keys = teamKeys(team);
      const [member] = await redis.zrange(keys.deliveries, 0, -1);
      await redis.hdel(keys.alertOutbox, member!.slice(ALERT_DELIVERY_PREFIX.length));
      expect(await store.claimDueDeliveries(team, NOW, 1_000, 10)).toEqual([]);
      expect(await redis.zcard(keys.deliveries)).toBe(0);
    } finally {
      redis.disconnect();
    }
  });

  it('keeps, lists and deletes alert targets', async () => {
    const team = uniqueTeam();
    const hook = target();
    await store.saveAlertTarget(team, hook);
    expect(await store.alertTargets(team)).toEqual([hook]);
    expect(await store.alertTarget(team, hook.id)).toEqual(hook);
    expect(await store.deleteAlertTarget(team, hook.id)).toBe(true);
    expect(await store.deleteAlertTarget(team, hook.id)).toBe(false);
    expect(await store.alertTargets(team)).toEqual([]);
  });

  it.runIf(kind === 'redis')("lets a window's markers expire a day after the window ends", async () => {
    const team = uniqueTeam();
    await store.reserve(reservation(team, 'k1', { credits: 10, teamBudget: monthBudget(10, [100]) }));
    const redis = new Redis(servers.redisUrl());
    try {
      const expiresAt = await redis.call('PEXPIRETIME', teamKeys(team).alertMarks('2026-11'));
      expect(expiresAt).toBe(Date.parse('2026-12-02T00:00:00.000Z'));
    } finally {
      redis.disconnect();
    }
  });
});
