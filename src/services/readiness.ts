// Whether this instance can serve: its store reachable (for Redis, with its scripts loaded).
import type { Store } from './store/store.js';

export interface ReadinessReport {
  store: Store['kind'];
  /** Why the gateway cannot meter requests now; null when it can. */
  reason: string | null;
}

export function createReadiness(store: Store) {
  return {
    async check(): Promise<ReadinessReport> {
      return { store: store.kind, reason: await store.unavailability() };
    },
  };
}

export type Readiness = ReturnType<typeof createReadiness>;
