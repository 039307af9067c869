// Reconciliation: the gateway's settled credits for a period against what Apiframe reports for
// the same jobs (each job's creditCost), listing every difference, every job still unsettled,
// and every upstream job of the period the gateway never recorded (spent around the gateway).
// Apiframe is asked gently: at most CONCURRENCY job reads at once, one reconciliation at a time
// per instance, and at most `limit` requests per call. A long period is walked in parts: each
// answer covers its part and says how far the walk got, with the cursor that continues it.
import pLimit from 'p-limit';
import { errors, withExtras } from '../errors.js';
import { DAY_MS } from '../domain/budgets.js';
import { apiframeCharge, fetchUpstream, listPage, type UpstreamJob } from './usage-reconciliation-apiframe.js';
import { byCreation, decodeResume, encodeResume, isAfter, type Resume } from './usage-reconciliation-walk.js';
import { daysBetween } from './usage-report.js';
import type { JobRecord } from '../domain/jobs.js';
import type { UpstreamPause } from './upstream-pause.js';
import type { Store } from './store/store.js';
import type { UpstreamClient } from './upstream.js';

/** Gateway and Apiframe stamp a job's creation a few milliseconds apart; this covers the edges. */
const EDGE_MS = 3_600_000;
/** Job reads one reconciliation has in flight at Apiframe at most. */
const CONCURRENCY = 4;
const BUSY_RETRY_AFTER_SECONDS = '5';

export interface ReconciliationQuery {
  from: string;
  to: string;
  /** One team's jobs; without it every team's, and Apiframe's account-wide job list too. */
  team?: string;
  /** Requests to Apiframe this call may make: one per job compared, one per page of its job list. */
  limit: number;
  cursor?: string;
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
  team: string | null;
  /** Over this answer's part of the period. */
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
  progress: {
    jobsChecked: number;
    jobsRemaining: number;
    apiframePagesRead: number;
    complete: boolean;
    next: string | null;
  };
}

function emptyReport(query: ReconciliationQuery): ReconciliationReport {
  return {
    from: query.from,
    to: query.to,
    team: query.team ?? null,
    summary: {
      jobs: 0,
      settled: 0,
      unsettled: 0,
      gatewayCredits: 0,
      apiframeCredits: 0,
      differences: 0,
      unknownToGateway: 0,
      unknownToGatewayCredits: 0,
    },
    differences: [],
    unsettled: [],
    unknownToGateway: [],
    errors: [],
    progress: { jobsChecked: 0, jobsRemaining: 0, apiframePagesRead: 0, complete: true, next: null },
  };
}

function finish(report: ReconciliationReport, resume: Resume | null): ReconciliationReport {
  Object.assign(report.summary, {
    jobs: report.progress.jobsChecked,
    unsettled: report.unsettled.length,
    differences: report.differences.length,
    unknownToGateway: report.unknownToGateway.length,
  });
  Object.assign(report.progress, { complete: resume === null, next: resume && encodeResume(resume) });
  return report;
}

/** The gateway's jobs created in [start, end) in creation order, and the ids of all it recorded near them. */
async function gatewayJobs(
  store: Store,
  team: string | undefined,
  start: number,
  end: number,
): Promise<{ jobs: JobRecord[]; known: Set<string> }> {
  const teams = team ? [team] : await store.teams();
  const nearby = (
    await Promise.all(teams.map((name) => store.jobsCreatedBetween(name, start - EDGE_MS, end + EDGE_MS)))
  ).flat();
  const jobs = nearby.filter((job) => job.createdAt >= start && job.createdAt < end).sort(byCreation);
  return { jobs, known: new Set(nearby.map((job) => job.jobId)) };
}

/** Enters one gateway job in the report beside Apiframe's answer for it (null: Apiframe does not know it). */
function recordComparison(report: ReconciliationReport, job: JobRecord, answer: UpstreamJob | null | Error): void {
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
}

/** The part of a reconciliation under way: who asks Apiframe, under which request id, and the report it fills. */
interface Pass {
  upstream: UpstreamClient;
  requestId: string;
  report: ReconciliationReport;
}

async function compare({ upstream, requestId, report }: Pass, jobs: JobRecord[]): Promise<void> {
  const limit = pLimit(CONCURRENCY);
  const answers = await Promise.all(jobs.map((job) => limit(() => fetchUpstream(upstream, job.jobId, requestId))));
  for (const [i, job] of jobs.entries()) recordComparison(report, job, answers[i] ?? null);
  report.progress.jobsChecked = jobs.length;
}

/**
 * Reads at most `pages` pages of Apiframe's job list (newest first) from `cursor`, noting the
 * jobs created in [start, end) that the gateway never recorded. Returns where to go on, or
 * undefined once the list is past the period.
 */
async function findUnrecorded(
  { upstream, requestId, report }: Pass,
  cursor: string | null,
  pages: number,
  period: { start: number; end: number; known: Set<string> },
): Promise<string | null | undefined> {
  for (let read = 0; read < pages; read++) {
    const page = await listPage(upstream, cursor, requestId);
    report.progress.apiframePagesRead += 1;
    for (const job of page.jobs) {
      const createdAt = Date.parse(job.createdAt);
      if (createdAt < period.start) return undefined;
      if (createdAt >= period.end || period.known.has(job.id)) continue;
      report.unknownToGateway.push({
        jobId: job.id,
        model: job.model ?? '',
        status: job.status,
        creditCost: job.creditCost,
        createdAt: job.createdAt,
      });
      report.summary.unknownToGatewayCredits += apiframeCharge(job) ?? 0;
    }
    if (!page.hasMore || !page.nextCursor) return undefined;
    cursor = page.nextCursor;
  }
  return cursor;
}

/** `upstream` must respect Apiframe's 429 pause (see paused-upstream.ts); `pause` refuses a run that starts in one. */
export function createUsageReconciliation(store: Store, upstream: UpstreamClient, pause: UpstreamPause) {
  let running = false;

  async function run(query: ReconciliationQuery, requestId: string): Promise<ReconciliationReport> {
    pause.refuseWhilePaused();
    const resume = query.cursor === undefined ? undefined : decodeResume(query.cursor, query.team);
    daysBetween(query.from, query.to);
    const start = Date.parse(`${query.from}T00:00:00Z`);
    const end = Date.parse(`${query.to}T00:00:00Z`) + DAY_MS;
    const { jobs, known } = await gatewayJobs(store, query.team, start, end);
    const report = emptyReport(query);
    const pass: Pass = { upstream, requestId, report };

    let listFrom: string | null = null;
    if (resume?.phase === 'apiframe') {
      listFrom = resume.cursor;
    } else {
      const pending = resume ? jobs.filter((job) => isAfter(job, resume)) : jobs;
      const part = pending.slice(0, query.limit);
      await compare(pass, part);
      report.progress.jobsRemaining = pending.length - part.length;
      const last = part.at(-1);
      if (last && report.progress.jobsRemaining > 0)
        return finish(report, { phase: 'jobs', createdAt: last.createdAt, jobId: last.jobId });
    }
    if (query.team !== undefined) return finish(report, null);
    const pages = query.limit - report.progress.jobsChecked;
    const next = await findUnrecorded(pass, listFrom, pages, { start, end, known });
    return finish(report, next === undefined ? null : { phase: 'apiframe', cursor: next });
  }

  return {
    /** One part of a reconciliation; refused with a 429 while another runs on this instance. */
    async reconcile(query: ReconciliationQuery, requestId: string): Promise<ReconciliationReport> {
      if (running) throw withExtras(new errors.ReconciliationBusy(), { retryAfter: BUSY_RETRY_AFTER_SECONDS });
      running = true;
      try {
        return await run(query, requestId);
      } finally {
        running = false;
      }
    },
  };
}

export type UsageReconciliation = ReturnType<typeof createUsageReconciliation>;
