// The webhook delivery queue: events waiting to be sent to callers, each claimed by one
// instance at a time.
import type { DeliveryOutcome, WebhookDelivery } from '../../../domain/deliveries.js';

export interface DeliveryQueue {
  enqueueDelivery(delivery: WebhookDelivery, dueAt: number): Promise<void>;
  /** Due deliveries of a team, each claimed for `leaseMs` so that one instance sends it. */
  claimDueDeliveries(team: string, now: number, leaseMs: number, limit: number): Promise<WebhookDelivery[]>;
  /** Records how a delivery attempt went: gone when delivered or failed, due again at `at` on a retry. */
  recordDelivery(delivery: WebhookDelivery, outcome: DeliveryOutcome): Promise<void>;
}
