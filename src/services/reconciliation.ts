// Reconciliation: the gateway's settled credits for a period against what Apiframe reports for
// the same jobs (each job's creditCost), listing every difference, every job still unsettled,
// and every upstream job of the period the gateway never recorded (spent around the gateway).
import pLimit from 'p-limit';
import { DAY_MS } from './budget-window.js';
import { TERMINAL_STATUSES } from './job-gateway.js';
import { daysBetween } from './usage-report.js';
import type { JobRecord, Store } from './store/types.js';
import type { UpstreamClient } from './upstream.js';

/** Gateway and Apiframe stamp a job's creation a few milliseconds apart; this covers the edges. */
const EDGE_MS = 3_600_000;
const CONCURRENCY = 16;

interface UpstreamJob {
  id: string;
  status: string;
  model?: string;
  creditCost: number | null;
  createdAt: string;
}

export interface Difference {
  jobId: string;
  team: string;
  keyId: string;
  model: string;
  gatewayState: 'settled' | 'pending';
  gatewayCredits: number | null;
  apiframeStatus: string | null;
  apiframeCredits: number | null;
}

export interface ReconciliationReport {
  from: string;
  to: string;
  summary: {
    jobs: number;
    /** Jobs the gateway has settled; the credit sums below are over these. */
    settled: number;
    unsettled: number;
    gatewayCredits: number;
    apiframeCredits: number;
    differences: number;
    unknownToGateway: number;
    unknownToGatewayCredits: number;
  };
  differences: Difference[];
  unsettled: Difference[];
  unknownToGateway: { jobId: string; model: string; status: string; creditCost: number | null; createdAt: string }[];
  errors: { jobId: string; error: string }[];
}

/** What Apiframe charges for a job in this state; null while it is not finished. */
function apiframeCharge(job: UpstreamJob): number | null {
  if (!TERMINAL_STATUSES.has(job.status)) return null;
  return job.status === 'COMPLETED' ? (job.creditCost ?? 0) : 0;
}

export function createReconciliation(store: Store, upstream: UpstreamClient) {
  async function fetchUpstream(jobId: string, requestId: string): Promise<UpstreamJob | null | Error> {
    try {
      const response = await upstream.getJob(jobId, requestId);
      if (response.status === 404) return null;
      if (response.status !== 200) return new Error(`Apiframe answered ${response.status}`);
      return JSON.parse(response.body) as UpstreamJob;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  /** Upstream jobs created in [start, end), newest first, paging through Apiframe's job list. */
  async function upstreamJobsBetween(start: number, end: number, requestId: string): Promise<UpstreamJob[]> {
    const found: UpstreamJob[] = [];
    let cursor: string | null = null;
    for (;;) {
      const query = new URLSearchParams({ scope: 'team', limit: '100', ...(cursor && { cursor }) });
      const response = await upstream.listJobs(query, requestId);
      if (response.status !== 200) throw new Error(`Apiframe answered ${response.status} to the job list`);
      const page = JSON.parse(response.body) as { jobs: UpstreamJob[]; nextCursor: string | null; hasMore: boolean };
      for (const job of page.jobs) {
        const createdAt = Date.parse(job.createdAt);
        if (createdAt < start) return found;
        if (createdAt < end) found.push(job);
      }
      if (!page.hasMore || !page.nextCursor) return found;
      cursor = page.nextCursor;
    }
  }

  return {
    async reconcile(query: { from: string; to: string; team?: string }, requestId: string): Promise<ReconciliationReport> {
      daysBetween(query.from, query.to);
      const start = Date.parse(`${query.from}T00:00:00Z`);
      const end = Date.parse(`${query.to}T00:00:00Z`) + DAY_MS;
      const teams = query.team ? [query.team] : await store.teams();
      const nearby = (await Promise.all(teams.map((team) => store.jobsCreatedBetween(team, start - EDGE_MS, end + EDGE_MS)))).flat();
      const jobs = nearby.filter((job) => job.createdAt >= start && job.createdAt < end);

      const limit = pLimit(CONCURRENCY);
      const upstreamJobs = await Promise.all(jobs.map((job) => limit(() => fetchUpstream(job.jobId, requestId))));

      const report: ReconciliationReport = {
        from: query.from,
        to: query.to,
        summary: { jobs: jobs.length, settled: 0, unsettled: 0, gatewayCredits: 0, apiframeCredits: 0, differences: 0, unknownToGateway: 0, unknownToGatewayCredits: 0 },
        differences: [],
        unsettled: [],
        unknownToGateway: [],
        errors: [],
      };
      jobs.forEach((job: JobRecord, i) => {
        const answer = upstreamJobs[i];
        if (answer instanceof Error) {
          report.errors.push({ jobId: job.jobId, error: answer.message });
          return;
        }
        const charge = answer ? apiframeCharge(answer) : null;
        const line: Difference = {
          jobId: job.jobId,
          team: job.team,
          keyId: job.keyId,
          model: job.model,
          gatewayState: job.state,
          gatewayCredits: job.charged,
          apiframeStatus: answer?.status ?? null,
          apiframeCredits: charge,
        };
        if (job.state === 'pending') {
          report.unsettled.push(line);
          return;
        }
        report.summary.settled += 1;
        report.summary.gatewayCredits += job.charged ?? 0;
        report.summary.apiframeCredits += charge ?? 0;
        if (charge !== job.charged) report.differences.push(line);
      });

      if (!query.team) {
        const known = new Set(nearby.map((job) => job.jobId));
        for (const job of await upstreamJobsBetween(start, end, requestId)) {
          if (known.has(job.id)) continue;
          report.unknownToGateway.push({ jobId: job.id, model: job.model ?? '', status: job.status, creditCost: job.creditCost, createdAt: job.createdAt });
          report.summary.unknownToGatewayCredits += apiframeCharge(job) ?? 0;
        }
      }
      Object.assign(report.summary, {
        unsettled: report.unsettled.length,
        differences: report.differences.length,
        unknownToGateway: report.unknownToGateway.length,
      });
      return report;
    },
  };
}

export type Reconciliation = ReturnType<typeof createReconciliation>;
