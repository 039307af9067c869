// GET /v2/loras walks Apiframe's account-wide pages for the team's own LoRAs, reading at most
// MAX_UPSTREAM_PAGES pages per call: with the team's LoRA on the seventh page, the first call
// answers none after five reads with a cursor that resumes exactly there, and the next finds it.
import { describe, expect, it } from 'vitest';
import type { Caller } from '../../../src/services/caller.js';
import { createLoraListing, MAX_UPSTREAM_PAGES } from '../../../src/services/objects/lora-listing.js';
import type { Store } from '../../../src/services/store/store.js';
import type { UpstreamClient } from '../../../src/services/upstream.js';

const PAGE = 100;
/** Seven full pages of the account's LoRAs, newest first: only the last one is the team's. */
const account = Array.from({ length: 7 * PAGE }, (_, i) => ({ id: `lora-${String(i).padStart(4, '0')}` }));
const own = new Set([account.at(-1)!.id]);

function accountPages() {
  const reads: (string | null)[] = [];
  const upstream = {
    async forward({ path }: { path: string }) {
      const query = new URL(path, 'http://apiframe').searchParams;
      const cursor = query.get('cursor');
      reads.push(cursor);
      const from = cursor === null ? 0 : account.findIndex((lora) => lora.id === cursor) + 1;
      const items = account.slice(from, from + Number(query.get('limit')));
      const nextCursor = from + items.length < account.length ? items.at(-1)!.id : null;
      return { status: 200, body: JSON.stringify({ items, nextCursor }) };
    },
  } as unknown as UpstreamClient;
  const store = {
    ownedObjects: async (_team: string, _kind: string, ids: string[]) => ids.map((id) => own.has(id)),
  } as unknown as Store;
  const listing = createLoraListing({ store, upstream, outcomes: { observe: async () => 0 } });
  return { listing, reads };
}

const caller = { key: { team: 'team-a' } } as Caller;

describe('the LoRA listing walk', () => {
  it('reads at most 5 upstream pages a call, and its cursor resumes where the walk stopped', async () => {
    expect(MAX_UPSTREAM_PAGES).toBe(5);
    const { listing, reads } = accountPages();
    const first = await listing.list(caller, { limit: 10 }, 'req-1');
    expect(first).toEqual({ items: [], nextCursor: account[5 * PAGE - 1]!.id });
    expect(reads).toHaveLength(5);

    const second = await listing.list(caller, { limit: 10, cursor: first.nextCursor! }, 'req-2');
    expect(second).toEqual({ items: [account.at(-1)], nextCursor: null });
    expect(reads).toHaveLength(7);
  });
});
