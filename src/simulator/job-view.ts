// A simulated job as Apiframe reports it. Nothing is stored as it progresses: its status follows
// from the time since it was created, so every poll and listing agrees with the clock.
import { loraCharges } from './lora-routes.js';
import type { SimJob, SimulatorState } from './simulator-types.js';

export function statusOf(job: SimJob, jobDurationMs: number, now = Date.now()) {
  const elapsed = now - job.createdAt;
  if (job.outcome === 'NEVER' || elapsed < jobDurationMs) {
    const progress = job.outcome === 'NEVER' ? 50 : Math.min(99, Math.floor((elapsed / jobDurationMs) * 100));
    return { status: elapsed < jobDurationMs / 3 ? 'QUEUED' : 'PROCESSING', progress };
  }
  return { status: job.outcome, progress: 100 };
}

/** The job in Apiframe's shape, as GET /v2/jobs/:id answers it. */
export function renderJob(job: SimJob, jobDurationMs: number, now = Date.now()) {
  const { status, progress } = statusOf(job, jobDurationMs, now);
  const terminal = status === 'COMPLETED' || status === 'FAILED' || status === 'CANCELLED';
  return {
    id: job.id,
    status,
    model: job.model,
    progress,
    error: status === 'FAILED' ? 'Generation failed' : null,
    creditCost: terminal && job.statesCost ? (status === 'COMPLETED' ? job.cost : 0) : null,
    webhookStatus: null,
    createdAt: new Date(job.createdAt).toISOString(),
    completedAt: terminal ? new Date(job.createdAt + jobDurationMs).toISOString() : null,
    expired: false,
    input: job.input,
    result: status === 'COMPLETED' ? job.result : null,
  };
}

/** Sum of creditCost over the jobs that are COMPLETED at this moment. */
export function chargedCredits(jobs: Iterable<SimJob>, jobDurationMs: number): number {
  let sum = 0;
  for (const job of jobs) if (statusOf(job, jobDurationMs).status === 'COMPLETED') sum += job.cost;
  return sum;
}

/** What the account was charged at this moment: its completed jobs and its LoRAs not refunded. */
export function accountCharges(state: SimulatorState): number {
  return (
    chargedCredits(state.jobs.values(), state.jobDurationMs) + loraCharges(state.loras.values(), state.jobDurationMs)
  );
}
