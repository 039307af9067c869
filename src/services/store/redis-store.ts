// The Redis store, assembled from its features. Key records live under the `{keys}` hash tag,
// money and jobs under each team's `{t:TEAM}` tag, every money move one Lua script. Any Redis
// failure becomes GW_STORE_UNAVAILABLE, so callers fail closed: no Redis, no spend.
import type { Cluster, Redis } from 'ioredis';
import { ALERT_SCRIPTS } from './alerts/lua.js';
import { createRedisAlerts } from './alerts/redis.js';
import { COORDINATION_SCRIPTS } from './coordination/lua.js';
import { createRedisCoordination } from './coordination/redis.js';
import { CREDIT_SCRIPTS } from './credits/scripts.js';
import { createRedisCredits } from './credits/redis.js';
import { DELIVERY_SCRIPTS } from './deliveries/lua.js';
import { createRedisDeliveries } from './deliveries/redis.js';
import { IDEMPOTENCY_SCRIPTS } from './idempotency/lua.js';
import { createRedisIdempotency } from './idempotency/redis.js';
import { JOB_SCRIPTS } from './jobs/lua.js';
import { createRedisJobs } from './jobs/redis.js';
import { KEY_SCRIPTS } from './keys/lua.js';
import { createRedisChanges } from './keys/redis-changes.js';
import { createRedisKeyRecords } from './keys/redis.js';
import { defineScripts } from './lua-script.js';
import { PRICE_SCRIPTS } from './prices/lua.js';
import { createRedisPriceCatalogue } from './prices/redis.js';
import { OBJECT_SCRIPTS } from './objects/lua.js';
import { createRedisObjects } from './objects/redis.js';
import { REQUEST_LIMIT_SCRIPTS } from './request-limits/lua.js';
import { createRedisRequestLimits } from './request-limits/redis.js';
import { createRedisContext, type RedisStoreOptions } from './redis-context.js';
import { createReplication } from './replication.js';
import type { Store } from './store.js';

export type { RedisStoreOptions } from './redis-context.js';

/** Every script of the store (the benchmark names them by their SHA). */
export const SCRIPTS = [
  ...KEY_SCRIPTS,
  ...CREDIT_SCRIPTS,
  ...JOB_SCRIPTS,
  ...IDEMPOTENCY_SCRIPTS,
  ...DELIVERY_SCRIPTS,
  ...PRICE_SCRIPTS,
  ...OBJECT_SCRIPTS,
  ...REQUEST_LIMIT_SCRIPTS,
  ...COORDINATION_SCRIPTS,
  ...ALERT_SCRIPTS,
];

export function createRedisStore(redis: Redis | Cluster, options: RedisStoreOptions): Store {
  defineScripts(redis, SCRIPTS);
  const replication = options.replication ?? createReplication(redis, { minReplicas: 0, timeoutMs: 0 });
  const context = createRedisContext(redis, replication, options.onFailure);
  const { close: stopChanges, ...changes } = createRedisChanges(context);
  const coordination = createRedisCoordination(context, SCRIPTS);
  return {
    ...createRedisKeyRecords(context),
    ...changes,
    ...createRedisCredits(context, options),
    ...createRedisJobs(context),
    ...createRedisIdempotency(context),
    ...createRedisDeliveries(context),
    ...createRedisAlerts(context),
    ...createRedisPriceCatalogue(context),
    ...createRedisObjects(context, options),
    ...createRedisRequestLimits(context),
    ...coordination,
    close: async () => {
      stopChanges();
      await coordination.close();
    },
  };
}
