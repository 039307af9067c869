// What a reconciliation reads of Apiframe: one job, or one page of the account-wide job list,
// checked for the few fields it compares, and what Apiframe charges for a job.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { errors } from '../errors.js';
import { TERMINAL_STATUSES } from '../domain/jobs.js';
import type { UpstreamClient } from './upstream.js';

/** What reconciliation reads of a page of Apiframe's job list; anything else is a 502. */
const UpstreamJobPage = Type.Object({
  jobs: Type.Array(
    Type.Object({
      id: Type.String(),
      status: Type.String(),
      model: Type.Optional(Type.String()),
      creditCost: Type.Union([Type.Number(), Type.Null()]),
      createdAt: Type.String(),
    }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
  hasMore: Type.Boolean(),
});
export type UpstreamJob = Static<typeof UpstreamJobPage>['jobs'][number];

/** What Apiframe charges for a job in this state; null while it is not finished. */
export function apiframeCharge(job: UpstreamJob): number | null {
  if (!TERMINAL_STATUSES.has(job.status)) return null;
  return job.status === 'COMPLETED' ? (job.creditCost ?? 0) : 0;
}

/**
 * Apiframe's view of one job: null when it does not know the job, an Error when it could not say.
 * Apiframe's 429 pause is not such an error: it ends the whole reconciliation with the caller's 429.
 */
export async function fetchUpstream(
  upstream: UpstreamClient,
  jobId: string,
  requestId: string,
): Promise<UpstreamJob | null | Error> {
  try {
    const response = await upstream.getJob(jobId, requestId);
    if (response.status === 404) return null;
    if (response.status !== 200) return new Error(`Apiframe answered ${response.status}`);
    return JSON.parse(response.body) as UpstreamJob;
  } catch (error) {
    if (error instanceof errors.UpstreamRateLimited) throw error;
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** One page of Apiframe's account-wide job list, newest first; a 502 when Apiframe cannot give it. */
export async function listPage(
  upstream: UpstreamClient,
  cursor: string | null,
  requestId: string,
): Promise<Static<typeof UpstreamJobPage>> {
  const query = new URLSearchParams({ scope: 'team', limit: '100', ...(cursor && { cursor }) });
  const response = await upstream.listJobs(query, requestId).catch((error: unknown) => {
    if (error instanceof errors.UpstreamRateLimited) throw error;
    return null;
  });
  if (response?.status !== 200) throw new errors.UpstreamUnavailable();
  let page: unknown;
  try {
    page = JSON.parse(response.body);
  } catch {
    throw new errors.UpstreamUnavailable();
  }
  if (!Value.Check(UpstreamJobPage, page)) throw new errors.UpstreamUnavailable();
  return page;
}
