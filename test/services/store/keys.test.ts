// The key records contract (saveKey, findKeyByHash, getKey, listKeys, saveTeam, getTeam,
// listTeams, teamUuid, allowedOrigins, listAudit, appendAudit) and change notifications (publishChange, onChange,
// changesLive) on Redis, Redis Cluster and memory.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../../src/domain/changes.js';
import type { Store } from '../../../src/services/store/store.js';
import { uniqueTeam } from '../../helpers/gateway.js';
import { audit, keyRecord, STORE_KINDS, teamRecord, until, useStoreServers } from './stores.js';

const servers = useStoreServers();

describe.each(STORE_KINDS)('key records (%s)', (kind) => {
  let store: Store;
  beforeAll(() => {
    store = servers.open(kind);
  });
  afterAll(async () => {
    await store.close();
  });

  it("saves a key, finds it by id and by its secret's hash, and refuses a lost update", async () => {
    const key = keyRecord(uniqueTeam());
    expect(await store.saveKey({ record: key, expectedVersion: 0, audit: audit() })).toBe(true);
    expect(await store.getKey(key.id)).toEqual(key);
    expect(await store.findKeyByHash(key.hash)).toEqual(key);
    expect(await store.saveKey({ record: { ...key, version: 2 }, expectedVersion: 0, audit: audit() })).toBe(false);
    expect(
      await store.saveKey({ record: { ...key, name: 'renamed', version: 2 }, expectedVersion: 1, audit: audit() }),
    ).toBe(true);
    expect(await store.getKey(key.id)).toMatchObject({ name: 'renamed', version: 2 });
    expect(await store.getKey(randomUUID())).toBeNull();
    expect(await store.findKeyByHash(randomUUID())).toBeNull();
  });

  it("keeps a rotated key's previous hash resolving until it is retired", async () => {
    const key = keyRecord(uniqueTeam());
    await store.saveKey({ record: key, expectedVersion: 0, audit: audit() });
    const rotated = { ...key, hash: randomUUID(), previousHash: key.hash, version: 2 };
    const retire = { hash: key.hash, at: Date.now() + 60_000 };
    expect(await store.saveKey({ record: rotated, expectedVersion: 1, retire, audit: audit() })).toBe(true);
    expect(await store.findKeyByHash(rotated.hash)).toMatchObject({ id: key.id, version: 2 });
    expect(await store.findKeyByHash(key.hash)).toMatchObject({ id: key.id, version: 2 });
    const again = { ...rotated, hash: randomUUID(), previousHash: rotated.hash, version: 3 };
    await store.saveKey({
      record: again,
      expectedVersion: 2,
      retire: { hash: rotated.hash, at: Date.now() - 1 },
      audit: audit(),
    });
    expect(await store.findKeyByHash(rotated.hash)).toBeNull();
  });

  it("creates a key's team with it when asked, never over an existing one", async () => {
    const team = uniqueTeam();
    const implicitTeam = { record: teamRecord(team), audit: audit('team.create') };
    await store.saveKey({ record: keyRecord(team), expectedVersion: 0, implicitTeam, audit: audit() });
    expect(await store.getTeam(team)).toEqual(teamRecord(team));
    const other = { record: { ...teamRecord(team), name: 'other' }, audit: audit('team.create') };
    await store.saveKey({ record: keyRecord(team), expectedVersion: 0, implicitTeam: other, audit: audit() });
    expect(await store.getTeam(team)).toMatchObject({ name: team });
  });

  it("lists keys newest first, a team's alone, page after page", async () => {
    const team = uniqueTeam();
    const at = (ms: number) => new Date(Date.parse('2026-11-25T12:00:00.000Z') + ms).toISOString();
    const keys = [
      keyRecord(team, { createdAt: at(0) }),
      keyRecord(team, { createdAt: at(1) }),
      keyRecord(team, { createdAt: at(2) }),
    ];
    for (const key of keys) await store.saveKey({ record: key, expectedVersion: 0, audit: audit() });
    await store.saveKey({ record: keyRecord(uniqueTeam()), expectedVersion: 0, audit: audit() });
    const page = await store.listKeys({ team, limit: 2 });
    expect(page.keys.map((key) => key.id)).toEqual([keys[2]!.id, keys[1]!.id]);
    expect(page.hasMore).toBe(true);
    const rest = await store.listKeys({
      team,
      limit: 2,
      after: { createdAt: Date.parse(keys[1]!.createdAt), id: keys[1]!.id },
    });
    expect(rest).toEqual({ keys: [keys[0]], hasMore: false });
    const all = await store.listKeys({ limit: 1_000 });
    expect(all.keys.map((key) => key.id)).toEqual(expect.arrayContaining(keys.map((key) => key.id)));
  });

  it('saves teams, refuses a lost update, and lists them by id', async () => {
    const [a, b] = [uniqueTeam(), uniqueTeam()].sort();
    expect(await store.saveTeam({ record: teamRecord(b!), expectedVersion: 0, audit: audit() })).toBe(true);
    expect(await store.saveTeam({ record: teamRecord(a!), expectedVersion: 0, audit: audit() })).toBe(true);
    expect(await store.saveTeam({ record: teamRecord(a!, 2), expectedVersion: 0, audit: audit() })).toBe(false);
    const renamed = { ...teamRecord(a!, 2), name: 'renamed' };
    expect(await store.saveTeam({ record: renamed, expectedVersion: 1, audit: audit() })).toBe(true);
    expect(await store.getTeam(a!)).toEqual(renamed);
    expect(await store.getTeam(uniqueTeam())).toBeNull();
    const ids = (await store.listTeams()).map((team) => team.id);
    expect(ids.filter((id) => id === a || id === b)).toEqual([a, b]);
    expect(ids).toEqual([...ids].sort());
  });

  it('gives each team one random v4 UUID on the first ask, the same to every concurrent ask, for good', async () => {
    const [team, other] = [uniqueTeam(), uniqueTeam()];
    const asked = await Promise.all(Array.from({ length: 8 }, () => store.teamUuid(team)));
    expect(new Set(asked).size).toBe(1);
    expect(asked[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await store.saveTeam({ record: teamRecord(team), expectedVersion: 0, audit: audit('team.create') });
    expect(await store.teamUuid(team)).toBe(asked[0]);
    expect(await store.teamUuid(other)).not.toBe(asked[0]);
  });

  it('gathers every origin any key was allowed', async () => {
    const origin = `https://${randomUUID()}.example`;
    const key = keyRecord(uniqueTeam(), { allowedOrigins: [origin, 'https://shared.example'] });
    await store.saveKey({ record: key, expectedVersion: 0, audit: audit() });
    expect(await store.allowedOrigins()).toEqual(expect.arrayContaining([origin, 'https://shared.example']));
  });

  it('keeps an audit entry for every save, newest first, page after page', async () => {
    const team = uniqueTeam();
    await store.saveTeam({
      record: teamRecord(team),
      expectedVersion: 0,
      audit: { ...audit('team.create'), target: team },
    });
    await store.saveKey({
      record: keyRecord(team),
      expectedVersion: 0,
      audit: { ...audit('key.create'), target: team },
    });
    const first = await store.listAudit({ limit: 1 });
    expect(first.entries).toEqual([{ ...audit('key.create'), target: team, id: expect.any(String) }]);
    expect(first.hasMore).toBe(true);
    const next = await store.listAudit({ before: first.entries[0]!.id, limit: 1 });
    expect(next.entries).toMatchObject([{ action: 'team.create', target: team }]);
  });

  it('appends an audit entry of its own, beside no record (an alert fired)', async () => {
    const entry = { ...audit('alert.fire'), target: `team:${uniqueTeam()}` };
    await store.appendAudit(entry);
    expect((await store.listAudit({ limit: 1 })).entries).toEqual([{ ...entry, id: expect.any(String) }]);
  });
});

describe.each(STORE_KINDS)('change notifications (%s)', (kind) => {
  // Another gateway instance: a store of its own on the same Redis (memory: the same store).
  let store: Store;
  let other: Store;
  beforeAll(() => {
    store = servers.open(kind);
    other = kind === 'memory' ? store : servers.open(kind);
  });
  afterAll(async () => {
    await store.close();
    if (other !== store) await other.close();
  });

  it('announces a saved team and key to every instance from the save itself, and a refused save not at all', async () => {
    const heard: ChangeEvent[] = [];
    other.onChange((event) => event !== 'resync' && heard.push(event));
    await until(() => other.changesLive(), 'the change subscription');
    const savedTeam = teamRecord(uniqueTeam());
    const savedKey = keyRecord(savedTeam.id);
    expect(await store.saveTeam({ record: savedTeam, expectedVersion: 0, audit: audit() })).toBe(true);
    expect(await store.saveTeam({ record: savedTeam, expectedVersion: 0, audit: audit() })).toBe(false);
    expect(await store.saveKey({ record: savedKey, expectedVersion: 0, audit: audit() })).toBe(true);
    await until(() => heard.some((event) => event.kind === 'key' && event.id === savedKey.id), 'the key announcement');
    const ours = heard.filter((event) => 'id' in event && [savedTeam.id, savedKey.id].includes(event.id));
    expect(ours).toEqual([
      { kind: 'team', id: savedTeam.id },
      { kind: 'key', id: savedKey.id },
    ]);
  });

  it('tells every instance, this one included, of a change published on its own', async () => {
    const heard: ChangeEvent[] = [];
    const ownHeard: ChangeEvent[] = [];
    other.onChange((event) => event !== 'resync' && heard.push(event));
    store.onChange((event) => event !== 'resync' && ownHeard.push(event));
    await until(() => other.changesLive() && store.changesLive(), 'the change subscriptions');
    const until_ = Date.now() + 1_000;
    await store.publishChange({ kind: 'upstream-backoff', until: until_ });
    const backoff = (event: ChangeEvent) => event.kind === 'upstream-backoff' && event.until === until_;
    await until(() => heard.some(backoff) && ownHeard.some(backoff), 'the published change');
  });
});

describe('change notifications on Redis', () => {
  it('resync on a message that is not the gateway’s, and crash nothing', async () => {
    const store = servers.open('redis');
    const raw = new Redis(servers.redisUrl());
    try {
      const heard: string[] = [];
      store.onChange((event) => heard.push(event === 'resync' ? 'resync' : event.kind));
      for (let attempt = 0; attempt < 100 && !store.changesLive(); attempt++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      heard.length = 0;
      await raw.publish('gw:changes', 'not json {');
      for (let attempt = 0; attempt < 100 && !heard.includes('resync'); attempt++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(heard).toContain('resync');
    } finally {
      raw.disconnect();
      await store.close();
    }
  });
});
