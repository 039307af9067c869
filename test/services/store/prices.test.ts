// The price catalogue contract (keepCatalogue, keptCatalogue) on Redis, Redis Cluster and memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/services/store/store.js';
import { STORE_KINDS, useStoreServers } from './stores.js';

const servers = useStoreServers();

describe.each(STORE_KINDS)('price catalogue records (%s)', (kind) => {
  let store: Store;
  beforeAll(() => {
    store = servers.open(kind);
  });
  afterAll(async () => {
    await store.close();
  });

  it('keeps nothing until a catalogue is kept, then hands back the latest read', async () => {
    expect(await store.keptCatalogue()).toBeNull();
    expect(await store.keepCatalogue({ body: '{"models":[1]}', fetchedAt: 1_000 })).toBe(true);
    expect(await store.keptCatalogue()).toEqual({ body: '{"models":[1]}', fetchedAt: 1_000 });
    expect(await store.keepCatalogue({ body: '{"models":[2]}', fetchedAt: 2_000 })).toBe(true);
    expect(await store.keptCatalogue()).toEqual({ body: '{"models":[2]}', fetchedAt: 2_000 });
  });

  it('never replaces a copy with one read earlier', async () => {
    expect(await store.keepCatalogue({ body: '{"models":[0]}', fetchedAt: 1_500 })).toBe(false);
    expect(await store.keptCatalogue()).toEqual({ body: '{"models":[2]}', fetchedAt: 2_000 });
  });
});
