// Idempotency records on Redis: one hash per client key, in the team key's namespace, expiring.
import { teamKeys, type RedisContext } from '../redis-context.js';
import type { IdempotencyRecords, IdempotencyScope } from './contract.js';
import { CLAIM_IDEMPOTENCY } from './lua.js';

const recordOf = (scope: IdempotencyScope) => teamKeys(scope.team).idempotency(scope.keyId, scope.key);

export function createRedisIdempotency({ redis, guarded }: RedisContext): IdempotencyRecords {
  return {
    claimIdempotency: (scope, fingerprint, pendingTtlMs) =>
      guarded(() => CLAIM_IDEMPOTENCY.run(redis, { recordHash: recordOf(scope), fingerprint, pendingTtlMs })),

    completeIdempotency: (scope, status, body, ttlMs) =>
      guarded(async () => {
        const key = recordOf(scope);
        await redis.multi().hset(key, 'state', 'done', 'status', status, 'body', body).pexpire(key, ttlMs).exec();
      }),

    abandonIdempotency: (scope) =>
      guarded(async () => {
        await redis.del(recordOf(scope));
      }),
  };
}
