// The store the configuration asks for: Redis (one server, a Cluster or Sentinels) when one is
// configured, otherwise the embedded memory store, for one instance on trial.
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { benchWithout, type Config } from '../config.js';
import { DAY_MS } from '../domain/budgets.js';
import type { Metrics } from './metrics.js';
import { createMemoryStore } from './store/memory-store.js';
import { connectRedis } from './store/redis-connection.js';
import { createRedisStore } from './store/redis-store.js';
import { createReplication } from './store/replication.js';
import type { Store } from './store/store.js';

/** The store, and its Redis connection for what keeps state of its own there (rate limits). */
export interface OpenedStore {
  store: Store;
  redis?: Redis | Cluster;
}

export function openStore(config: Config, logger: Logger, metrics: Pick<Metrics, 'storeError'>): OpenedStore {
  const ledgerRetentionMs = config.LEDGER_RETENTION_DAYS * DAY_MS;
  if (config.REDIS_URL || config.REDIS_CLUSTER_NODES || config.REDIS_SENTINELS) {
    const redis = connectRedis({
      url: config.REDIS_URL,
      clusterNodes: config.REDIS_CLUSTER_NODES,
      sentinels: config.REDIS_SENTINELS,
      sentinelMaster: config.REDIS_SENTINEL_MASTER,
      password: config.REDIS_PASSWORD,
      commandTimeoutMs: config.REDIS_TIMEOUT_MS,
    });
    redis.on('error', (error: Error) => {
      metrics.storeError();
      logger.warn({ err: { message: error.message } }, 'redis connection error');
    });
    const replication = createReplication(redis, {
      minReplicas: config.REDIS_MIN_REPLICAS,
      timeoutMs: config.REDIS_TIMEOUT_MS,
      onShortfall: (reason) => logger.warn(`${reason}: money writes answer 503 until enough replicas keep up`),
    });
    const withoutLedgerWrites = benchWithout(config, 'ledger');
    const options = { ledgerRetentionMs, withoutLedgerWrites, replication, onFailure: () => metrics.storeError() };
    return { store: createRedisStore(redis, options), redis };
  }
  logger.warn('No Redis configured: using the embedded in-memory store (one instance only, lost on restart)');
  return { store: createMemoryStore({ ledgerRetentionMs }) };
}
