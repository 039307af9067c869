// The delivery queue in memory, shared with the alerts the memory store's money moves raise.
import type { MemoryState } from '../memory-state.js';
import type { DeliveryQueue } from './contract.js';

export function createMemoryDeliveries({ queue, alerts }: MemoryState): DeliveryQueue {
  return {
    async enqueueDelivery(delivery, dueAt) {
      queue.set(delivery.id, { delivery: { ...delivery }, dueAt });
    },

    async claimDueDeliveries(team, now, leaseMs, limit) {
      const due = [...queue.values()]
        .filter((entry) => entry.delivery.team === team && entry.dueAt <= now)
        .slice(0, limit);
      for (const entry of due) entry.dueAt = now + leaseMs;
      return due.map((entry) => structuredClone(entry.delivery));
    },

    async recordDelivery(delivery, outcome) {
      // A delivery already finished (by another claim of it) stays finished, as on Redis.
      if (!queue.has(delivery.id)) return;
      if (outcome.state === 'retry') {
        queue.set(delivery.id, { delivery: structuredClone(delivery), dueAt: outcome.at });
      } else {
        queue.delete(delivery.id);
      }
      if (!delivery.alert) return;
      const { record, targetId } = delivery.alert;
      const alert = alerts(delivery.team).history.find((entry) => entry.id === record.id);
      const state = alert?.deliveries.find((entry) => entry.targetId === targetId);
      if (state)
        Object.assign(state, {
          state: outcome.state === 'retry' ? 'pending' : outcome.state,
          attempts: delivery.attempts,
        });
    },
  };
}
