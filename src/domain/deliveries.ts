// Webhook deliveries: one event of a job on its way to the caller's URL.

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
}

export type DeliveryOutcome = { state: 'delivered' } | { state: 'failed' } | { state: 'retry'; at: number };
