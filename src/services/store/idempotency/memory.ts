// Idempotency records in memory, expiring like the Redis hashes.
import type { IdempotencyRecords, IdempotencyScope } from './contract.js';

interface MemoryIdempotency {
  fingerprint: string;
  done?: { status: number; body: string };
  until: number;
}

export function createMemoryIdempotency(): IdempotencyRecords {
  const records = new Map<string, MemoryIdempotency>();
  const idOf = (scope: IdempotencyScope) => `${scope.team}|${scope.keyId}|${scope.key}`;

  return {
    async claimIdempotency(scope, fingerprint, pendingTtlMs) {
      const id = idOf(scope);
      const record = records.get(id);
      if (!record || record.until <= Date.now()) {
        records.set(id, { fingerprint, until: Date.now() + pendingTtlMs });
        return { state: 'claimed' };
      }
      if (record.fingerprint !== fingerprint) return { state: 'mismatch' };
      return record.done ? { state: 'done', ...record.done } : { state: 'pending' };
    },

    async completeIdempotency(scope, status, body, ttlMs) {
      const record = records.get(idOf(scope));
      if (record) Object.assign(record, { done: { status, body }, until: Date.now() + ttlMs });
    },

    async abandonIdempotency(scope) {
      records.delete(idOf(scope));
    },
  };
}
