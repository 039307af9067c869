// Key changes reaching another instance's key cache on a real Redis: announced by the save itself
// (so a publish of its own cannot fail after it), announced again by a repeated revoke, and never
// overtaken by a lookup that read the record before the change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors } from '../../src/errors.js';
import { createKeyAdmin } from '../../src/services/key-admin.js';
import { createKeyLookup } from '../../src/services/key-lookup.js';
import { systemClock } from '../../src/services/clock.js';
import { connectRedis } from '../../src/services/store/redis-connection.js';
import { createRedisStore } from '../../src/services/store/redis-store.js';
import type { ChangeEvent } from '../../src/domain/changes.js';
import type { TeamKeyRecord } from '../../src/domain/keys.js';
import type { Store } from '../../src/services/store/store.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { uniqueTeam } from '../helpers/gateway.js';

let redis: RedisServer;
const stores: Store[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await redis.destroy();
});

/** One gateway instance's store. */
function openStore(): Store {
  const store = createRedisStore(connectRedis({ url: redis.url, commandTimeoutMs: 2_000 }), {
    ledgerRetentionMs: 86_400_000,
  });
  stores.push(store);
  return store;
}

/** Waits for `condition`, failing after a bound far beyond the milliseconds it takes. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > 5_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The key events a store hears for `id`; listeners run in order, so the directory's ran first. */
function keyEventsHeard(store: Store, id: string): ChangeEvent[] {
  const heard: ChangeEvent[] = [];
  store.onChange((event) => event !== 'resync' && event.kind === 'key' && event.id === id && heard.push(event));
  return heard;
}

const actor = { name: 'admin-token', requestId: 'req-test' };

async function setUp(adminStore: Store = openStore()) {
  const cacheStore = openStore();
  const directory = createKeyLookup({ store: cacheStore, clock: systemClock });
  const admin = createKeyAdmin(adminStore, systemClock, ['seedream-4']);
  const { id, key: secret } = await admin.create({ name: 'k', team: uniqueTeam() }, actor);
  await until(() => cacheStore.changesLive(), 'the change subscription');
  return { cacheStore, directory, admin, id, secret };
}

describe('key changes reaching another instance’s cache', () => {
  it('announces a revoke from the save itself, so a failing separate publish cannot lose it', async () => {
    const failingPublish: Store = {
      ...openStore(),
      publishChange: () => Promise.reject(new errors.StoreUnavailable()),
    };
    const { cacheStore, directory, admin, id, secret } = await setUp(failingPublish);
    expect((await directory.resolve(secret)).status).toBe('active');
    const heard = keyEventsHeard(cacheStore, id);
    await admin.revoke(id, actor);
    await until(() => heard.length > 0, 'the revoke announcement');
    expect((await directory.resolve(secret)).status).toBe('revoked');
  });

  it('announces again when a revoked key is revoked again (a retry after a lost answer)', async () => {
    const { cacheStore, admin, id } = await setUp();
    const heard = keyEventsHeard(cacheStore, id);
    await admin.revoke(id, actor);
    await until(() => heard.length === 1, 'the first announcement');
    expect(await admin.revoke(id, actor)).toMatchObject({ status: 'revoked' });
    await until(() => heard.length === 2, 'the second announcement');
  });

  it('does not cache a record read before a change that arrived while the lookup ran', async () => {
    const { cacheStore, id, secret, admin } = await setUp();
    const held = holdLookups(cacheStore);
    const directory = createKeyLookup({ store: held.store, clock: systemClock });
    const heard = keyEventsHeard(cacheStore, id);
    const lookup = directory.resolve(secret);
    await held.read;
    await admin.revoke(id, actor);
    await until(() => heard.length > 0, 'the revoke announcement');
    held.release();
    expect((await lookup).status).toBe('active');
    expect((await directory.resolve(secret)).status).toBe('revoked');
  });
});

/** The store with its key lookups held after reading until `release`: a slow answer. */
function holdLookups(store: Store) {
  let release!: () => void;
  let signalRead!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const read = new Promise<void>((resolve) => (signalRead = resolve));
  const wrapped: Store = {
    ...store,
    async findKeyByHash(hash): Promise<TeamKeyRecord | null> {
      const record = await store.findKeyByHash(hash);
      signalRead();
      await released;
      return record;
    },
  };
  return { store: wrapped, read, release };
}
