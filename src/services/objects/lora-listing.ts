// GET /v2/loras for one team. Apiframe lists the whole company account's LoRAs; the gateway walks
// its pages from the caller's cursor and keeps the team's own, until it has `limit` of them or has
// read MAX_UPSTREAM_PAGES pages. `nextCursor` is then where the walk stopped: the last LoRA
// returned when the page was left part-read, otherwise Apiframe's own next cursor, so the next
// call resumes exactly there and nothing is skipped or shown twice. A page may hold fewer than
// `limit` LoRAs (even none) with a cursor still given; only a null cursor means the end.
import { parseJson } from '../../domain/jobs.js';
import { errors } from '../../errors.js';
import type { Caller } from '../caller.js';
import type { Store } from '../store/store.js';
import type { UpstreamClient } from '../upstream.js';
import { upstreamRefusal } from '../upstream-errors.js';
import type { LoraOutcomes } from './lora-outcomes.js';

export const MAX_UPSTREAM_PAGES = 5;

export interface LoraListQuery {
  cursor?: string;
  limit?: number;
  includeArchived?: 'true' | 'false';
}

interface LoraItem {
  id: string;
}

interface UpstreamPage {
  items: LoraItem[];
  nextCursor: string | null;
}

export function createLoraListing(deps: {
  store: Store;
  upstream: UpstreamClient;
  outcomes: Pick<LoraOutcomes, 'observe'>;
}) {
  const { store, upstream, outcomes } = deps;

  async function page(query: URLSearchParams, requestId: string): Promise<UpstreamPage> {
    const response = await upstream.forward(
      { operation: 'list_loras', method: 'GET', path: `/v2/loras?${query}` },
      requestId,
    );
    if (response.status !== 200) throw upstreamRefusal(response);
    const parsed = parseJson(response.body) as Partial<UpstreamPage> | undefined;
    if (!Array.isArray(parsed?.items)) throw new errors.UpstreamUnavailable();
    return {
      items: parsed.items.filter((item) => typeof item?.id === 'string'),
      nextCursor: parsed.nextCursor ?? null,
    };
  }

  async function list(caller: Caller, query: LoraListQuery, requestId: string) {
    const { team } = caller.key;
    const limit = query.limit ?? 24;
    const kept: LoraItem[] = [];
    let cursor = query.cursor ?? null;
    for (let pages = 0; pages < MAX_UPSTREAM_PAGES; pages += 1) {
      const search = new URLSearchParams({ limit: '100', includeArchived: query.includeArchived ?? 'false' });
      if (cursor) search.set('cursor', cursor);
      const { items, nextCursor } = await page(search, requestId);
      const owned = await store.ownedObjects(
        team,
        'lora',
        items.map((item) => item.id),
      );
      const own = items.filter((_item, i) => owned[i]);
      for (const item of own) await outcomes.observe(team, item, requestId);
      if (kept.length + own.length >= limit) {
        const taken = own.slice(0, limit - kept.length);
        kept.push(...taken);
        const last = taken.at(-1)!;
        const restOfPage = items.slice(items.indexOf(last) + 1);
        const more = nextCursor !== null || (await anyOwned(team, restOfPage));
        return { items: kept, nextCursor: more ? last.id : null };
      }
      kept.push(...own);
      cursor = nextCursor;
      if (cursor === null) break;
    }
    return { items: kept, nextCursor: cursor };
  }

  async function anyOwned(team: string, items: LoraItem[]): Promise<boolean> {
    const owned = await store.ownedObjects(
      team,
      'lora',
      items.map((item) => item.id),
    );
    return owned.some(Boolean);
  }

  return { list };
}
