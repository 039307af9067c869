// Apiframe's webhook: the terminal event of a job, signed with HMAC-SHA256 keyed by SHA-256 of the key.
import { createHash, createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { renderJob } from './job-view.js';
import type { SimJob, SimulatorState } from './simulator-types.js';

export async function sendWebhook(state: SimulatorState, job: SimJob, url: string, events: unknown[]): Promise<void> {
  // Sent when the job is done; a timer may fire a millisecond before Date.now() says so.
  const view = renderJob(job, state.jobDurationMs, Math.max(Date.now(), job.createdAt + state.jobDurationMs));
  const event = view.status === 'COMPLETED' ? 'completed' : 'failed';
  if (!events.includes(event)) return;
  const body = JSON.stringify({
    event,
    jobId: job.id,
    status: view.status,
    progress: view.progress,
    result: view.result,
    model: job.model,
    creditCost: view.creditCost,
    completedAt: view.completedAt,
  });
  const signingKey = createHash('sha256').update(state.options.apiKey).digest();
  const signature = `sha256=${createHmac('sha256', signingKey).update(body).digest('hex')}`;
  // Like Apiframe, retry with backoff until the receiver takes it (here for about 12 s).
  for (let attempt = 0; attempt < 8; attempt++) {
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-signature': signature, 'x-webhook-event': event },
      body,
    }).catch(() => null);
    state.webhooksSent.push({ url, event, status: answer?.status ?? 0 });
    if (answer?.ok) return;
    await sleep(100 * 2 ** attempt);
  }
}
