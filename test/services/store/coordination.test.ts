// The coordination and health contract (acquireLease, teams, unavailability, close) on Redis,
// Redis Cluster and memory.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/services/store/store.js';
import { uniqueTeam } from '../../helpers/gateway.js';
import { audit, STORE_KINDS, teamRecord, useStoreServers } from './stores.js';

const servers = useStoreServers();

describe.each(STORE_KINDS)('coordination and health (%s)', (kind) => {
  let store: Store;
  beforeAll(() => {
    store = servers.open(kind);
  });
  afterAll(async () => {
    await store.close();
  });

  it('gives a lease to one holder at a time', async () => {
    const name = `lease-${randomUUID()}`;
    expect(await store.acquireLease(name, 'a', 10_000)).toBe(true);
    expect(await store.acquireLease(name, 'b', 10_000)).toBe(false);
    expect(await store.acquireLease(name, 'a', 10_000)).toBe(true);
  });

  it('lets a lease go to another holder once it runs out', async () => {
    const name = `lease-${randomUUID()}`;
    expect(await store.acquireLease(name, 'a', 50)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await store.acquireLease(name, 'b', 10_000)).toBe(true);
    expect(await store.acquireLease(name, 'a', 10_000)).toBe(false);
  });

  it('knows every team saved', async () => {
    const team = uniqueTeam();
    expect(await store.teams()).not.toContain(team);
    await store.saveTeam({ record: teamRecord(team), expectedVersion: 0, audit: audit() });
    expect(await store.teams()).toContain(team);
  });

  it('says it can serve, and what kind of store it is', async () => {
    expect(store.kind).toBe(kind === 'memory' ? 'memory' : 'redis');
    // A Cluster client discovers the slots first, and says so until it has.
    let reason = await store.unavailability();
    for (let attempt = 0; attempt < 100 && reason !== null; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      reason = await store.unavailability();
    }
    expect(reason).toBeNull();
  });
});

describe.each(STORE_KINDS)('closing (%s)', (kind) => {
  it('closes, and a Redis store then says why it cannot serve', async () => {
    const store = servers.open(kind);
    await store.close();
    if (kind === 'memory') expect(await store.unavailability()).toBeNull();
    else expect(await store.unavailability()).toMatch(/^redis is /);
  });
});
