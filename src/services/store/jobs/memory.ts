// Jobs in memory, kept on their team's ledger beside the credits they hold.
import { isAfter } from '../cursor.js';
import { copyJob, newestFirst, type MemoryState } from '../memory-state.js';
import { isOverQuota } from '../../../domain/request-limits.js';
import type { Jobs, PollDecision } from './contract.js';

export function createMemoryJobs({ ledger, ledgers, requests }: MemoryState): Jobs {
  /** POLL_JOB's decision, taken without awaiting. */
  function poll(
    teamName: string,
    jobId: string,
    now: number,
    snapshotMaxAgeMs: number,
    lockMs: number,
  ): PollDecision | null {
    const job = ledger(teamName).jobs.get(jobId);
    if (!job) return null;
    const record = copyJob(job);
    const { snapshot } = job;
    if (job.state === 'settled' && job.finalBody) return { action: 'final', record, body: job.finalBody };
    if (snapshot && now - snapshot.at <= snapshotMaxAgeMs) return { action: 'snapshot', record, body: snapshot.body };
    if (lockMs === 0) return { action: 'due', record, stale: snapshot ? { ...snapshot } : null };
    if ((job.lockedUntil ?? 0) > Date.now()) {
      return snapshot ? { action: 'snapshot', record, body: snapshot.body } : { action: 'wait', record };
    }
    job.lockedUntil = Date.now() + lockMs;
    return { action: 'fetch', record, stale: snapshot ? { ...snapshot } : null };
  }

  return {
    async getJob(teamName, jobId) {
      const job = ledger(teamName).jobs.get(jobId);
      return job ? copyJob(job) : null;
    },

    pollJob: async (teamName, jobId, now, snapshotMaxAgeMs, lockMs) =>
      poll(teamName, jobId, now, snapshotMaxAgeMs, lockMs),

    async countedPollJob(teamName, jobId, now, snapshotMaxAgeMs, lockMs, quota) {
      const counted = requests.count(teamName, quota);
      if (isOverQuota(quota, counted)) return { counted, decision: null };
      return { counted, decision: poll(teamName, jobId, now, snapshotMaxAgeMs, lockMs) };
    },

    async saveSnapshot(teamName, jobId, body, now) {
      const job = ledger(teamName).jobs.get(jobId);
      if (!job) return;
      job.snapshot = { body, at: now };
      job.lockedUntil = 0;
    },

    async listJobs(r) {
      const matching = [...ledger(r.team).jobs.values()]
        .map((job) => ({ job, createdAt: job.createdAt, id: job.jobId }))
        .filter(
          ({ job }) => (!r.keyId || job.keyId === r.keyId) && (!r.ephemeralId || job.ephemeralId === r.ephemeralId),
        )
        .filter((item) => !r.after || isAfter(item, r.after))
        .sort(newestFirst);
      return { jobs: matching.slice(0, r.limit).map((item) => copyJob(item.job)), hasMore: matching.length > r.limit };
    },

    async jobsCreatedBetween(teamName, fromMs, toMs) {
      return [...ledger(teamName).jobs.values()]
        .filter((job) => job.createdAt >= fromMs && job.createdAt < toMs)
        .sort((a, b) => a.createdAt - b.createdAt)
        .map(copyJob);
    },

    async pendingJobs(teamName, now, limit) {
      return [...ledger(teamName).jobs.values()]
        .filter((job) => job.state === 'pending' && job.checkAt <= now)
        .sort((a, b) => a.checkAt - b.checkAt)
        .slice(0, limit)
        .map(copyJob);
    },

    async deferJob(teamName, jobId, until) {
      const job = ledger(teamName).jobs.get(jobId);
      if (job?.state === 'pending') job.checkAt = until;
    },

    async pendingJobCount() {
      let count = 0;
      for (const team of ledgers.values()) for (const job of team.jobs.values()) if (job.state === 'pending') count++;
      return count;
    },
  };
}
