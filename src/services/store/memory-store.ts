// The embedded store, assembled from its features: the same contract as the Redis store, kept
// in this process's memory. For trials and single-instance setups only: everything is lost on
// restart.
import { createMemoryAlerts } from './alerts/memory.js';
import { createMemoryCoordination } from './coordination/memory.js';
import { createMemoryCredits } from './credits/memory.js';
import { createMemoryDeliveries } from './deliveries/memory.js';
import { createMemoryIdempotency } from './idempotency/memory.js';
import { createMemoryJobs } from './jobs/memory.js';
import { createMemoryChanges, createMemoryKeyRecords } from './keys/memory.js';
import { createMemoryState } from './memory-state.js';
import { createMemoryPriceCatalogue } from './prices/memory.js';
import { createMemoryObjects } from './objects/memory.js';
import { createMemoryRequestLimits } from './request-limits/memory.js';
import type { Store } from './store.js';

export interface MemoryStoreOptions {
  /** How long ledger entries are kept (aggregates are kept for ever). */
  ledgerRetentionMs: number;
}

export function createMemoryStore(options: MemoryStoreOptions): Store {
  const state = createMemoryState(options.ledgerRetentionMs);
  const { announce, ...changes } = createMemoryChanges();
  return {
    ...createMemoryKeyRecords(state, announce),
    ...changes,
    ...createMemoryCredits(state),
    ...createMemoryJobs(state),
    ...createMemoryIdempotency(),
    ...createMemoryDeliveries(state),
    ...createMemoryAlerts(state),
    ...createMemoryPriceCatalogue(),
    ...createMemoryObjects(state),
    ...createMemoryRequestLimits(state.requests),
    ...createMemoryCoordination(state),
  };
}
