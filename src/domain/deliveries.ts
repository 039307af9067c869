// Webhook deliveries: one event of a job on its way to the caller's URL, or one budget alert on
// its way to one of the team's alert targets.
import type { Alert } from './alerts.js';

/** One webhook event on its way to a caller. */
export interface WebhookDelivery {
  id: string;
  team: string;
  jobId: string;
  keyId: string;
  url: string;
  event: string;
  body: string;
  attempts: number;
  /** An alert for one of the team's alert targets: its body is made, and signed, at each attempt. */
  alert?: { record: Alert; targetId: string };
}

/** An alert's delivery to one target: its body is made at each attempt, so none is stored. */
export function alertDelivery(
  id: string,
  record: Alert,
  target: { targetId: string; url: string; attempts: number },
): WebhookDelivery {
  const { targetId, url, attempts } = target;
  const base = { id, team: record.team, jobId: '', keyId: record.keyId ?? '', event: 'budget.alert', body: '' };
  return { ...base, url, attempts, alert: { record, targetId } };
}

export type DeliveryOutcome = { state: 'delivered' } | { state: 'failed' } | { state: 'retry'; at: number };
