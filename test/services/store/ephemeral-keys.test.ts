// The store's part of ephemeral keys on Redis, Redis Cluster and memory: their records (saved
// with an audit entry, found by hash or id until their expiry or revocation, their origins known
// to preflights) and their money (a cap and a count of jobs checked in the same reserve as the
// parent's and team's budgets, moved with every release, settlement, refund and overrun, named in
// the ledger).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EphemeralKeyRecord } from '../../../src/domain/ephemeral-keys.js';
import { windowsAt } from '../../../src/domain/budgets.js';
import type { Store } from '../../../src/services/store/store.js';
import { uniqueTeam } from '../../helpers/gateway.js';
import { DAY, NOW, reservation, STORE_KINDS, useStoreServers } from './stores.js';

const servers = useStoreServers();

function ephemeralRecord(overrides: Partial<EphemeralKeyRecord> = {}): EphemeralKeyRecord {
  const now = Date.now();
  return {
    id: randomUUID(),
    parentKeyId: randomUUID(),
    parentHash: 'a'.repeat(64),
    team: uniqueTeam(),
    hash: randomUUID().replaceAll('-', '').repeat(2),
    prefix: 'gke_abcdef',
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 60_000).toISOString(),
    credits: 9,
    allowedOrigins: [`https://${randomUUID()}.example.com`],
    allowedModels: null,
    maxJobs: null,
    metadata: { session: 's1' },
    ...overrides,
  };
}

const audit = (target: string) => ({
  at: new Date().toISOString(),
  actor: 'key:parent',
  action: 'ephemeral-key.mint',
  target,
  before: null,
  after: { note: 'no secret here' },
  requestId: 'req-test',
});

describe.each(STORE_KINDS)('ephemeral keys (%s)', (kind) => {
  let store: Store;
  beforeAll(() => {
    store = servers.open(kind);
  });
  afterAll(async () => {
    await store.close();
  });

  const cap = (id: string, credits: number, maxJobs: number | null = null) => ({ ephemeral: { id, credits, maxJobs } });
  const capSpend = async (team: string, id: string) =>
    (await store.spend({ team, ephemeralId: id, windows: [] })).ephemeral;

  it('saves a record with its audit entry, finds it by hash, and adds its origins to the known ones', async () => {
    const record = ephemeralRecord();
    await store.saveEphemeralKey(record, audit(`key:${record.parentKeyId}`));
    expect(await store.findEphemeralKeyByHash(record.hash)).toEqual(record);
    expect(await store.findEphemeralKeyByHash('f'.repeat(64))).toBeNull();
    expect(await store.allowedOrigins()).toContain(record.allowedOrigins[0]);
    const { entries } = await store.listAudit({ limit: 5 });
    expect(entries.find((entry) => entry.target === `key:${record.parentKeyId}`)?.action).toBe('ephemeral-key.mint');
  });

  it('reads a record by id, and revokes it once with its audit entry, announced', async () => {
    const record = ephemeralRecord();
    await store.saveEphemeralKey(record, audit(`key:${record.parentKeyId}`));
    expect(await store.getEphemeralKey(record.id)).toEqual(record);
    const heard: unknown[] = [];
    store.onChange((event) => heard.push(event));
    const revocation = { ...audit(`key:${record.parentKeyId}`), action: 'ephemeral-key.revoke' };
    expect(await store.revokeEphemeralKey(record, revocation)).toBe(true);
    expect(await store.getEphemeralKey(record.id)).toBeNull();
    expect(await store.findEphemeralKeyByHash(record.hash)).toBeNull();
    const { entries } = await store.listAudit({ limit: 5 });
    expect(entries[0]).toMatchObject({ action: 'ephemeral-key.revoke', target: `key:${record.parentKeyId}` });
    expect(await store.revokeEphemeralKey(record, revocation), 'a second time').toBe(false);
    expect((await store.listAudit({ limit: 5 })).entries[0]!.id).toBe(entries[0]!.id);
    await expect.poll(() => heard).toContainEqual({ kind: 'key', id: record.id });
  });

  it('forgets a record at its expiry', async () => {
    const record = ephemeralRecord({ expiresAt: new Date(Date.now() + 150).toISOString() });
    await store.saveEphemeralKey(record, audit('key:x'));
    expect(await store.findEphemeralKeyByHash(record.hash)).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await store.findEphemeralKeyByHash(record.hash)).toBeNull();
  });

  it('reserves within the cap, the parent key’s budget and the team’s, whichever is tightest', async () => {
    const team = uniqueTeam();
    const eph = randomUUID();
    expect(await store.reserve(reservation(team, 'parent', cap(eph, 7)))).toEqual({ ok: true });
    expect(await store.reserve(reservation(team, 'parent', cap(eph, 7)))).toEqual({ ok: true });
    expect(await store.reserve(reservation(team, 'parent', cap(eph, 7)))).toEqual({ ok: false, available: 1 });
    expect(await capSpend(team, eph)).toBe(6);
    const keyBudget = { window: 'total', limit: 8 };
    const sibling = randomUUID();
    expect(await store.reserve(reservation(team, 'parent', { ...cap(sibling, 9), keyBudget }))).toEqual({
      ok: false,
      available: 2,
    });
    const teamBudget = { window: 'total', limit: 7 };
    expect(await store.reserve(reservation(team, 'parent', { ...cap(sibling, 9), teamBudget }))).toEqual({
      ok: false,
      available: 1,
    });
    const spend = await store.spend({ team, keyId: 'parent', windows: windowsAt(NOW) });
    expect(spend.key.total).toBe(6);
  });

  it('counts its jobs in the same reserve, and gives a released reservation’s job back', async () => {
    const team = uniqueTeam();
    const eph = randomUUID();
    const first = reservation(team, 'parent', cap(eph, 100, 2));
    expect(await store.reserve(first)).toEqual({ ok: true });
    expect(await store.reserve(reservation(team, 'parent', cap(eph, 100, 2)))).toEqual({ ok: true });
    expect(await store.reserve(reservation(team, 'parent', cap(eph, 100, 2)))).toEqual({ ok: false, jobsUsedUp: true });
    await store.release({ team, reservationId: first.reservationId, day: DAY, requestId: 'r', now: NOW, why: 'test' });
    expect(await capSpend(team, eph)).toBe(3);
    expect(await store.reserve(reservation(team, 'parent', cap(eph, 100, 2)))).toEqual({ ok: true });
  });

  it('moves the cap with settlement, refund and overrun, names the key in the ledger and job, and lists its jobs', async () => {
    const team = uniqueTeam();
    const eph = randomUUID();
    const settled = reservation(team, 'parent', cap(eph, 20));
    const refunded = reservation(team, 'parent', cap(eph, 20));
    const [settledJob, refundedJob] = [randomUUID(), randomUUID()];
    for (const [r, jobId] of [
      [settled, settledJob],
      [refunded, refundedJob],
    ] as const) {
      await store.reserve(r);
      await store.attachJob({ ...r, jobId, ephemeralId: eph });
    }
    const parentOwn = reservation(team, 'parent');
    await store.reserve(parentOwn);
    await store.attachJob({ ...parentOwn, jobId: randomUUID() });
    const settle = { team, day: DAY, requestId: 'r', now: NOW, finalBody: '{}' };
    expect(await store.settle({ ...settle, jobId: settledJob, status: 'COMPLETED', credits: 5 })).toEqual({
      settled: true,
      overrun: 2,
    });
    await store.settle({ ...settle, jobId: refundedJob, status: 'FAILED', credits: 0 });
    expect(await capSpend(team, eph)).toBe(5);
    expect(await store.getJob(team, settledJob)).toMatchObject({ keyId: 'parent', ephemeralId: eph });
    const listed = await store.listJobs({ team, ephemeralId: eph, limit: 10 });
    expect(listed.jobs.map((job) => job.jobId).sort()).toEqual([settledJob, refundedJob].sort());
    const ledger = await store.readLedger(team, null, 100);
    const own = ledger.filter((entry) => entry.ephemeral === eph);
    expect(own.map((entry) => entry.kind)).toEqual(['reserve', 'reserve', 'settle', 'overrun', 'refund']);
    expect(own.every((entry) => entry.keyId === 'parent')).toBe(true);
    expect(own.reduce((sum, entry) => sum + entry.credits, 0)).toBe(5);
    expect(ledger.filter((entry) => entry.ephemeral === undefined)).toHaveLength(1);
  });
});
