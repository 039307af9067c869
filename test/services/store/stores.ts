// Opens the store under contract on each backend: Redis (Lua), Redis Cluster (the same scripts,
// every script's keys in one hash slot) and the embedded memory store. Each contract file starts
// its own servers and checks one feature on all three.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { windowsAt } from '../../../src/domain/budgets.js';
import type { AuditEntry, TeamKeyRecord, TeamRecord } from '../../../src/domain/keys.js';
import type { ReserveRequest } from '../../../src/services/store/credits/contract.js';
import { createMemoryStore } from '../../../src/services/store/memory-store.js';
import { connectRedis } from '../../../src/services/store/redis-connection.js';
import { createRedisStore } from '../../../src/services/store/redis-store.js';
import type { Store } from '../../../src/services/store/store.js';
import { startRedisCluster, type RedisCluster } from '../../helpers/redis-cluster.js';
import { startRedis, type RedisServer } from '../../helpers/redis-server.js';

export type StoreKind = 'redis' | 'cluster' | 'memory';
export const STORE_KINDS: StoreKind[] = ['redis', 'cluster', 'memory'];

export interface StoreServers {
  open(kind: StoreKind): Store;
  /** The standalone server's URL, for a raw client. */
  redisUrl(): string;
}

/** Starts a Redis and a Redis Cluster for the calling test file, stopped when it ends. */
export function useStoreServers(): StoreServers {
  let redis: RedisServer;
  let cluster: RedisCluster;
  beforeAll(async () => {
    [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([redis.destroy(), cluster.destroy()]);
  });
  return {
    open(kind) {
      const options = { ledgerRetentionMs: 400 * 86_400_000 };
      if (kind === 'memory') return createMemoryStore(options);
      const connection = kind === 'redis' ? { url: redis.url } : { clusterNodes: cluster.nodes };
      return createRedisStore(connectRedis({ ...connection, commandTimeoutMs: 2_000 }), options);
    },
    redisUrl: () => redis.url,
  };
}

export const NOW = Date.parse('2026-11-25T12:00:00.000Z');
export const DAY = '2026-11-25';
const AT = new Date(NOW).toISOString();

export function reservation(team: string, keyId: string, overrides: Partial<ReserveRequest> = {}): ReserveRequest {
  return {
    reservationId: randomUUID(),
    team,
    keyId,
    model: 'seedream-4',
    credits: 3,
    windows: windowsAt(NOW),
    keyBudget: null,
    teamBudget: null,
    now: NOW,
    requestId: 'req-test',
    leaseUntil: NOW + 60_000,
    ...overrides,
  };
}

/** Reserves and attaches a job of `keyId` created at `createdAt`; its id. */
export async function attachedJob(store: Store, team: string, keyId = 'k1', createdAt = NOW): Promise<string> {
  const r = reservation(team, keyId, { now: createdAt });
  const jobId = randomUUID();
  await store.reserve(r);
  await store.attachJob({ ...r, jobId });
  return jobId;
}

export function settleRequest(team: string, jobId: string, credits = 3, status = 'COMPLETED') {
  return {
    team,
    jobId,
    status,
    credits,
    finalBody: `{"status":"${status}"}`,
    now: NOW,
    day: DAY,
    requestId: 'req-test',
  };
}

export function audit(action = 'test'): AuditEntry {
  return { at: AT, actor: 'test', action, target: 'test', before: null, after: null, requestId: 'req-test' };
}

export function teamRecord(id: string, version = 1): TeamRecord {
  return { id, name: id, budget: null, createdAt: AT, updatedAt: AT, version };
}

export function keyRecord(team: string, overrides: Partial<TeamKeyRecord> = {}): TeamKeyRecord {
  return {
    id: randomUUID(),
    name: 'k',
    team,
    prefix: 'gk_x',
    hash: randomUUID(),
    previousHash: null,
    previousHashExpiresAt: null,
    createdAt: AT,
    updatedAt: AT,
    version: 1,
    budget: null,
    expiresAt: null,
    revokedAt: null,
    scopes: ['generate'],
    allowedModels: null,
    allowedOrigins: [],
    rateLimit: null,
    metadata: {},
    ...overrides,
  };
}

/** Waits for `condition`, failing after a bound far beyond the milliseconds it takes. */
export async function until(condition: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > 5_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
