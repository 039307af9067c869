// The raw ledger, for finance exports and audits: every entry of every team, team by team in
// ledger order, filtered by accounting day, key and team. Read in batches, so an export of any
// size streams in constant memory; a cursor resumes exactly after the last entry returned.
import { invalidCursor } from './store/cursor.js';
import type { LedgerEntry } from '../domain/ledger.js';
import type { Store } from './store/store.js';

export interface EventsQuery {
  from?: string;
  to?: string;
  team?: string;
  keyId?: string;
  /** Only the entries of this ephemeral key. */
  ephemeral?: string;
}

const BATCH = 1_000;

function encode(team: string, id: string): string {
  return Buffer.from(JSON.stringify([team, id])).toString('base64url');
}

function decode(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string'))
      return value as [string, string];
  } catch {
    // fall through to the validation error
  }
  throw invalidCursor();
}

export function createUsageEvents(store: Store) {
  const matches = (query: EventsQuery) => (entry: LedgerEntry) =>
    (!query.from || entry.day >= query.from) &&
    (!query.to || entry.day <= query.to) &&
    (!query.keyId || entry.keyId === query.keyId) &&
    (!query.ephemeral || entry.ephemeral === query.ephemeral);

  /**
   * Every matching entry after `cursor`, with the cursor that resumes after it. A bad cursor
   * throws here, before anything is streamed.
   */
  function entries(query: EventsQuery, cursor?: string): AsyncGenerator<{ entry: LedgerEntry; cursor: string }> {
    const start = cursor ? decode(cursor) : undefined;
    return read(query, start);
  }

  async function* read(
    query: EventsQuery,
    start: [string, string] | undefined,
  ): AsyncGenerator<{ entry: LedgerEntry; cursor: string }> {
    const [startTeam, startId] = start ?? [undefined, undefined];
    const teams = (query.team ? [query.team] : await store.teams())
      .sort()
      .filter((team) => !startTeam || team >= startTeam);
    const wanted = matches(query);
    for (const team of teams) {
      let after = team === startTeam ? startId! : null;
      for (;;) {
        const batch = await store.readLedger(team, after, BATCH);
        for (const entry of batch) if (wanted(entry)) yield { entry, cursor: encode(team, entry.id) };
        if (batch.length < BATCH) break;
        after = batch.at(-1)!.id;
      }
    }
  }

  return {
    entries,

    async page(query: EventsQuery, limit: number, cursor?: string) {
      const events: LedgerEntry[] = [];
      let last: string | undefined;
      for await (const item of entries(query, cursor)) {
        if (events.length === limit) return { events, nextCursor: last ?? null, hasMore: true };
        events.push(item.entry);
        last = item.cursor;
      }
      return { events, nextCursor: null, hasMore: false };
    },
  };
}

export type UsageEvents = ReturnType<typeof createUsageEvents>;
