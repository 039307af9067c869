// The object ownership contract (recordObject, recordUpload, ownedObjects, uploadUrlOwner, chargeLora,
// refundLora, closeLora, pendingLoras) on Redis, Redis Cluster and memory.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { windowsAt } from '../../../src/domain/budgets.js';
import type { Store } from '../../../src/services/store/store.js';
import { uniqueTeam } from '../../helpers/gateway.js';
import { NOW, reservation, STORE_KINDS, useStoreServers } from './stores.js';

const servers = useStoreServers();

describe.each(STORE_KINDS)('object ownership (%s)', (kind) => {
  let store: Store;
  beforeAll(() => {
    store = servers.open(kind);
  });
  afterAll(async () => {
    await store.close();
  });

  const spendOf = async (team: string) => (await store.spend({ team, windows: windowsAt(NOW) })).team.total;

  /** Reserves 2 credits and charges them for a new LoRA; its id and the reservation. */
  async function chargedLora(team: string) {
    const r = reservation(team, 'k1', { credits: 2, model: 'lora-training' });
    await store.reserve(r);
    const loraId = randomUUID();
    await store.chargeLora({ ...r, loraId });
    return { loraId, r };
  }

  it('knows which team created an asset, and an upload by its URL', async () => {
    const [team, other] = [uniqueTeam(), uniqueTeam()];
    const url = `https://cdn.example/${randomUUID()}.png`;
    await store.recordUpload({ team, url, ttlMs: 60_000 });
    await store.recordObject({ team, kind: 'asset', id: 'a1' });
    expect(await store.ownedObjects(team, 'asset', ['a1', 'u1'])).toEqual([true, false]);
    expect(await store.ownedObjects(other, 'asset', ['a1'])).toEqual([false]);
    expect(await store.ownedObjects(team, 'asset', [])).toEqual([]);
    expect(await store.uploadUrlOwner(url)).toBe(team);
    expect(await store.uploadUrlOwner(`${url}?x`)).toBeNull();
  });

  it('forgets an upload after its time', async () => {
    const team = uniqueTeam();
    const url = `https://cdn.example/${randomUUID()}.png`;
    await store.recordUpload({ team, url, ttlMs: 30 });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await store.uploadUrlOwner(url)).toBeNull();
  });

  it('charges a LoRA its reservation with a settle entry, and it is the team’s and pending', async () => {
    const team = uniqueTeam();
    const { loraId, r } = await chargedLora(team);
    expect(await spendOf(team)).toBe(2);
    expect(await store.ownedObjects(team, 'lora', [loraId])).toEqual([true]);
    expect(await store.ownedObjects(uniqueTeam(), 'lora', [loraId])).toEqual([false]);
    expect(await store.pendingLoras(team, 10)).toEqual([loraId]);
    expect(await store.expiredReservations(team, NOW + 3_600_000, 10)).toEqual([]);
    const entries = await store.readLedger(team, null, 10);
    expect(entries.map((e) => [e.kind, e.credits, e.jobId])).toEqual([
      ['reserve', 2, ''],
      ['settle', 0, loraId],
    ]);
    const [cell] = await store.aggregates(team, [r.windows[0]!]);
    expect(cell).toMatchObject({ credits: 2, charged: 2, reserve: 1, settle: 1 });
  });

  it('refunds a LoRA exactly once, even when asked concurrently', async () => {
    const team = uniqueTeam();
    const { loraId, r } = await chargedLora(team);
    const refund = { team, loraId, why: 'FAILED', now: NOW, requestId: 'req-test' };
    const refunded = await Promise.all([store.refundLora(refund), store.refundLora(refund), store.refundLora(refund)]);
    expect(refunded.sort()).toEqual([0, 0, 2]);
    expect(await store.refundLora(refund)).toBe(0);
    expect(await spendOf(team)).toBe(0);
    expect(await store.pendingLoras(team, 10)).toEqual([]);
    const kinds = (await store.readLedger(team, null, 10)).map((e) => [e.kind, e.credits]);
    expect(kinds).toEqual([
      ['reserve', 2],
      ['settle', 0],
      ['refund', -2],
    ]);
    const [cell] = await store.aggregates(team, [r.windows[0]!]);
    expect(cell).toMatchObject({ credits: 0, charged: 0, refund: 1 });
    expect(await store.refundLora({ ...refund, loraId: randomUUID() })).toBe(0);
  });

  it('closes a LoRA that trained, and lists the pending oldest first', async () => {
    const team = uniqueTeam();
    const first = await chargedLora(team);
    const second = await chargedLora(team);
    expect(await store.pendingLoras(team, 1)).toHaveLength(1);
    await store.closeLora(team, first.loraId);
    expect(await store.pendingLoras(team, 10)).toEqual([second.loraId]);
    expect(await store.ownedObjects(team, 'lora', [first.loraId])).toEqual([true]);
  });

  it('charges a LoRA whose reservation lapsed as an overrun, and a LoRA charged twice once', async () => {
    const team = uniqueTeam();
    const loraId = randomUUID();
    const lapsed = { ...reservation(team, 'k1', { credits: 2 }), loraId };
    await store.chargeLora(lapsed);
    expect(await spendOf(team)).toBe(2);
    const again = reservation(team, 'k1', { credits: 2 });
    await store.reserve(again);
    await store.chargeLora({ ...again, loraId });
    expect(await spendOf(team)).toBe(2);
    const kinds = (await store.readLedger(team, null, 10)).map((e) => e.kind);
    expect(kinds).toEqual(['settle', 'overrun', 'reserve', 'release']);
  });

  it('charges an unclear training, noted so, never pending nor refunded', async () => {
    const team = uniqueTeam();
    const r = reservation(team, 'k1', { credits: 2 });
    await store.reserve(r);
    const loraId = `unclear-${randomUUID()}`;
    expect(await store.chargeLora({ ...r, loraId, unclear: 'no answer' })).toEqual({
      charged: true,
      overrun: 0,
      released: 0,
    });
    expect(await store.pendingLoras(team, 10)).toEqual([]);
    expect(await store.refundLora({ team, loraId, why: 'FAILED', now: NOW, requestId: 'r' })).toBe(0);
    expect(await spendOf(team)).toBe(2);
    expect((await store.readLedger(team, null, 10)).map((e) => e.note)).toEqual(['', 'unclear: no answer']);
  });

  it('says what charging a LoRA moved: its charge and overrun, or a duplicate’s release', async () => {
    const team = uniqueTeam();
    const r = reservation(team, 'k1', { credits: 2 });
    await store.reserve(r);
    const loraId = randomUUID();
    expect(await store.chargeLora({ ...r, loraId })).toEqual({ charged: true, overrun: 0, released: 0 });
    const again = reservation(team, 'k1', { credits: 2 });
    await store.reserve(again);
    expect(await store.chargeLora({ ...again, loraId })).toEqual({ charged: false, overrun: 0, released: 2 });
    const lapsed = { ...reservation(team, 'k1', { credits: 2 }), loraId: randomUUID() };
    expect(await store.chargeLora(lapsed)).toEqual({ charged: true, overrun: 2, released: 0 });
  });
});
