// Job events from Apiframe. The raw body's signature is checked before anything else; a
// verified terminal event settles the job at once, and the event is queued for the caller's
// own webhookUrl, if it asked for one.
import { errors } from '../errors.js';
import { jobFromWebhookEvent } from './job-bodies.js';
import type { JobRecording } from './job-recording.js';
import type { JobSettlement } from './job-settlement.js';
import type { Store } from './store/store.js';
import type { Webhooks } from './webhooks.js';

type WebhookEvent = Readonly<Record<string, unknown>>;

export interface ReceivedEvent {
  team: string;
  /** The request body exactly as it arrived (the signature covers these bytes). */
  raw: Buffer;
  signature: string | undefined;
  requestId: string;
}

function parseEvent(text: string): WebhookEvent & { jobId: string; event: string } {
  let event: WebhookEvent;
  try {
    event = JSON.parse(text) as WebhookEvent;
  } catch {
    throw new errors.InvalidJson();
  }
  if (typeof event.jobId !== 'string' || typeof event.event !== 'string') throw new errors.InvalidJson();
  return event as WebhookEvent & { jobId: string; event: string };
}

export function createWebhookReceiver(deps: {
  store: Store;
  settlement: JobSettlement;
  recording: Pick<JobRecording, 'recordIfUnrecorded'>;
  webhooks: Webhooks;
}) {
  const { store, settlement, recording, webhooks } = deps;
  return {
    async receive({ team, raw, signature, requestId }: ReceivedEvent): Promise<void> {
      if (!webhooks.verify(raw, signature)) throw new errors.WebhookSignature();
      const text = raw.toString('utf8');
      const event = parseEvent(text);
      await recording.recordIfUnrecorded(team, event.jobId);
      const job = await store.getJob(team, event.jobId);
      if (!job) throw new errors.JobNotFound();
      await settlement.settleIfTerminal(job, text, requestId, jobFromWebhookEvent(job, event));
      if (job.webhook) await webhooks.relay(job, job.webhook, event.event, text);
    },
  };
}

export type WebhookReceiver = ReturnType<typeof createWebhookReceiver>;
