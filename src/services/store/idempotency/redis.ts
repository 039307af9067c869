// Idempotency records on Redis: one hash per client key, in the team key's namespace, expiring.
import { teamKeys, type RedisContext } from '../redis-context.js';
import type { IdempotencyRecords, IdempotencyScope } from './contract.js';
import { ABANDON_IDEMPOTENCY, CLAIM_IDEMPOTENCY, COMPLETE_IDEMPOTENCY } from './lua.js';

const recordOf = (scope: IdempotencyScope) => teamKeys(scope.team).idempotency(scope.keyId, scope.key);

export function createRedisIdempotency({ redis, guarded }: RedisContext): IdempotencyRecords {
  return {
    claimIdempotency: (scope, fingerprint, pendingTtlMs, holder) =>
      guarded(() => CLAIM_IDEMPOTENCY.run(redis, { recordHash: recordOf(scope), fingerprint, pendingTtlMs, holder })),

    completeIdempotency: (scope, holder, status, body, ttlMs) =>
      guarded(() => COMPLETE_IDEMPOTENCY.run(redis, { recordHash: recordOf(scope), holder, status, body, ttlMs })),

    abandonIdempotency: (scope, holder) =>
      guarded(() => ABANDON_IDEMPOTENCY.run(redis, { recordHash: recordOf(scope), holder })),
  };
}
