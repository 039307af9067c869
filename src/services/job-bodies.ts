// Job bodies the gateway writes itself, in the shape GET /v2/jobs/{id} answers, for the two
// states Apiframe reports without a job body: a webhook event, and a job just accepted.
import type { JobRecord } from '../domain/jobs.js';

/**
 * The job a webhook event reports. The event carries the job's fields but its id (as `jobId`),
 * its creation time (the gateway's record of it stands in) and its input.
 */
export function jobFromWebhookEvent(record: JobRecord, event: Readonly<Record<string, unknown>>): string {
  const { status, model, progress, error, creditCost, completedAt, result } = event;
  return JSON.stringify({
    id: record.jobId,
    status,
    model: typeof model === 'string' ? model : record.model,
    progress: Number.isInteger(progress) && (progress as number) >= 0 && (progress as number) <= 100 ? progress : null,
    error: typeof error === 'string' ? error : null,
    creditCost: Number.isInteger(creditCost) && (creditCost as number) >= 0 ? creditCost : null,
    // The event is Apiframe's webhook, delivered to the gateway.
    webhookStatus: 'delivered',
    createdAt: new Date(record.createdAt).toISOString(),
    completedAt: typeof completedAt === 'string' ? completedAt : null,
    expired: false,
    result: result ?? null,
  });
}

/** A job whose state the gateway has not seen yet, as Apiframe accepted it: QUEUED, nothing more known. */
export function acceptedJob(record: JobRecord): string {
  return JSON.stringify({
    id: record.jobId,
    status: 'QUEUED',
    model: record.model,
    progress: null,
    error: null,
    creditCost: null,
    webhookStatus: null,
    createdAt: new Date(record.createdAt).toISOString(),
    completedAt: null,
    expired: false,
  });
}
