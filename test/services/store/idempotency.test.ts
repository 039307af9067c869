// The idempotency contract (claimIdempotency, completeIdempotency, abandonIdempotency) on Redis,
// Redis Cluster and memory: a request whose claim lapsed and was taken over neither answers for
// nor drops the request that holds the key now.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/services/store/store.js';
import { uniqueTeam } from '../../helpers/gateway.js';
import { STORE_KINDS, useStoreServers } from './stores.js';

const servers = useStoreServers();

describe.each(STORE_KINDS)('idempotency records (%s)', (kind) => {
  let store: Store;
  beforeAll(() => {
    store = servers.open(kind);
  });
  afterAll(async () => {
    await store.close();
  });

  const scope = () => ({ team: uniqueTeam(), keyId: 'k1', key: randomUUID() });

  it('claims a key once, then says the request is pending or was another body', async () => {
    const own = scope();
    expect(await store.claimIdempotency(own, 'body-a', 60_000, 'h1')).toEqual({ state: 'claimed' });
    expect(await store.claimIdempotency(own, 'body-a', 60_000, 'h1')).toEqual({ state: 'pending' });
    expect(await store.claimIdempotency(own, 'body-b', 60_000, 'h1')).toEqual({ state: 'mismatch' });
    expect(await store.claimIdempotency({ ...own, keyId: 'k2' }, 'body-b', 60_000, 'h2')).toEqual({ state: 'claimed' });
  });

  it('replays the completed answer to a retry with the same body', async () => {
    const own = scope();
    await store.claimIdempotency(own, 'body-a', 60_000, 'h1');
    await store.completeIdempotency(own, 'h1', 200, '{"jobId":"j1"}', 60_000);
    expect(await store.claimIdempotency(own, 'body-a', 60_000, 'h1')).toEqual({
      state: 'done',
      status: 200,
      body: '{"jobId":"j1"}',
    });
    expect(await store.claimIdempotency(own, 'body-b', 60_000, 'h1')).toEqual({ state: 'mismatch' });
  });

  it('lets a retry run again once the claim is abandoned', async () => {
    const own = scope();
    await store.claimIdempotency(own, 'body-a', 60_000, 'h1');
    await store.abandonIdempotency(own, 'h1');
    expect(await store.claimIdempotency(own, 'body-b', 60_000, 'h1')).toEqual({ state: 'claimed' });
  });

  it('forgets a pending claim after its time and an answer after its own', async () => {
    const pending = scope();
    await store.claimIdempotency(pending, 'body-a', 50, 'h1');
    const done = scope();
    await store.claimIdempotency(done, 'body-a', 60_000, 'h1');
    await store.completeIdempotency(done, 'h1', 200, '{}', 50);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await store.claimIdempotency(pending, 'body-b', 60_000, 'h1')).toEqual({ state: 'claimed' });
    expect(await store.claimIdempotency(done, 'body-b', 60_000, 'h1')).toEqual({ state: 'claimed' });
  });

  it('lets only the request holding the key complete or drop it, once its own claim lapsed', async () => {
    const own = scope();
    await store.claimIdempotency(own, 'body-a', 50, 'first');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await store.claimIdempotency(own, 'body-a', 60_000, 'second')).toEqual({ state: 'claimed' });
    await store.abandonIdempotency(own, 'first');
    await store.completeIdempotency(own, 'first', 504, '{"error":"late"}', 60_000);
    expect(await store.claimIdempotency(own, 'body-a', 60_000, 'third')).toEqual({ state: 'pending' });
    await store.completeIdempotency(own, 'second', 202, '{"jobId":"j2"}', 60_000);
    expect(await store.claimIdempotency(own, 'body-a', 60_000, 'third')).toEqual({
      state: 'done',
      status: 202,
      body: '{"jobId":"j2"}',
    });
    await store.abandonIdempotency(own, 'first');
    expect(await store.claimIdempotency(own, 'body-a', 60_000, 'third')).toMatchObject({ state: 'done' });
  });
});
