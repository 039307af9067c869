// Coordination in memory: one process, so leases only matter within it, and it is always available.
import type { MemoryState } from '../memory-state.js';
import type { Coordination } from './contract.js';

export function createMemoryCoordination({ teams }: MemoryState): Coordination {
  const leases = new Map<string, { holder: string; until: number }>();

  return {
    kind: 'memory',

    async acquireLease(name, holder, ttlMs) {
      const lease = leases.get(name);
      const now = Date.now();
      if (lease && lease.holder !== holder && lease.until > now) return false;
      leases.set(name, { holder, until: now + ttlMs });
      return true;
    },

    async teams() {
      return [...teams.keys()];
    },

    async unavailability() {
      return null;
    },

    async close() {},
  };
}
