// The audit trail of admin changes, read a page at a time, newest first. Entries hold no
// secret (nor any key hash); each entry's id is the cursor that continues after it.
import type { StoredAuditEntry } from '../domain/keys.js';
import type { Store } from './store/store.js';

export interface AuditPage {
  entries: StoredAuditEntry[];
  hasMore: boolean;
  nextCursor: string | null;
}

export function createAuditTrail(store: Store) {
  return {
    async page(query: { limit: number; cursor?: string }): Promise<AuditPage> {
      const before = query.cursor;
      const { entries, hasMore } = await store.listAudit({ limit: query.limit, ...(before && { before }) });
      return { entries, hasMore, nextCursor: hasMore ? (entries.at(-1)?.id ?? null) : null };
    },
  };
}

export type AuditTrail = ReturnType<typeof createAuditTrail>;
