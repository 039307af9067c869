// Idempotency records in memory, expiring like the Redis hashes.
import type { IdempotencyRecords, IdempotencyScope } from './contract.js';

interface MemoryIdempotency {
  fingerprint: string;
  holder: string;
  done?: { status: number; body: string };
  until: number;
}

export function createMemoryIdempotency(): IdempotencyRecords {
  const records = new Map<string, MemoryIdempotency>();
  const idOf = (scope: IdempotencyScope) => `${scope.team}|${scope.keyId}|${scope.key}`;
  /** The unexpired record `holder` holds, if it still does. */
  const held = (scope: IdempotencyScope, holder: string) => {
    const record = records.get(idOf(scope));
    return record && record.holder === holder && record.until > Date.now() ? record : undefined;
  };

  return {
    async claimIdempotency(scope, fingerprint, pendingTtlMs, holder) {
      const id = idOf(scope);
      const record = records.get(id);
      if (!record || record.until <= Date.now()) {
        records.set(id, { fingerprint, holder, until: Date.now() + pendingTtlMs });
        return { state: 'claimed' };
      }
      if (record.fingerprint !== fingerprint) return { state: 'mismatch' };
      return record.done ? { state: 'done', ...record.done } : { state: 'pending' };
    },

    async completeIdempotency(scope, holder, status, body, ttlMs) {
      const record = held(scope, holder);
      if (record) Object.assign(record, { done: { status, body }, until: Date.now() + ttlMs });
    },

    async abandonIdempotency(scope, holder) {
      if (held(scope, holder)) records.delete(idOf(scope));
    },
  };
}
