// The delivery queue in memory.
import type { WebhookDelivery } from '../../../domain/deliveries.js';
import type { DeliveryQueue } from './contract.js';

export function createMemoryDeliveries(): DeliveryQueue {
  const queued = new Map<string, { delivery: WebhookDelivery; dueAt: number }>();

  return {
    async enqueueDelivery(delivery, dueAt) {
      queued.set(delivery.id, { delivery: { ...delivery }, dueAt });
    },

    async claimDueDeliveries(team, now, leaseMs, limit) {
      const due = [...queued.values()]
        .filter((entry) => entry.delivery.team === team && entry.dueAt <= now)
        .slice(0, limit);
      for (const entry of due) entry.dueAt = now + leaseMs;
      return due.map((entry) => ({ ...entry.delivery }));
    },

    async recordDelivery(delivery, outcome) {
      if (outcome.state === 'retry') {
        queued.set(delivery.id, { delivery: { ...delivery }, dueAt: outcome.at });
      } else {
        queued.delete(delivery.id);
      }
    },
  };
}
