// GET /v2/jobs for a team key: pages through the gateway's own record of the caller's jobs
// (never Apiframe's account-wide list; an ephemeral key's own jobs only, whatever the scope
// asked), showing each job as a poll of it would: settled jobs
// and states seen within the second come from the store; older ones are refreshed through the
// poll path (and settled if done), a bounded number per listing.
import { encodeCursor, positionOf } from './store/cursor.js';
import { parseJob, type JobRecord } from '../domain/jobs.js';
import type { Caller } from './caller.js';
import type { JobPolling, ListingBudget } from './job-polling.js';
import type { Store } from './store/store.js';

export interface ListQuery {
  scope: 'user' | 'team';
  limit: number;
  cursor?: string;
  status?: string;
  model?: string;
  search?: string;
}

export interface ListAnswer {
  jobs: string[];
  nextCursor: string | null;
  hasMore: boolean;
}

/** Stop scanning for filter matches after this many jobs; the cursor lets the caller go on. */
const MAX_SCANNED = 500;
/** Apiframe reads one listing may cause; the jobs past them are shown as last seen. */
export const MAX_UPSTREAM_READS_PER_LISTING = 10;

/**
 * Whether a job recorded under `name` is one of `model`'s, as Apiframe's filter sees it: an action
 * is recorded by its priced name (`midjourney:upsample`) while Apiframe's job names the family.
 */
const ofModel = (name: string, model: string | undefined) => !model || name === model || name.startsWith(`${model}:`);

const listingBudget = (): ListingBudget => ({ upstreamReads: MAX_UPSTREAM_READS_PER_LISTING });

function visibleTo(caller: Caller, query: ListQuery, record: JobRecord): boolean {
  if (caller.ephemeral) return record.ephemeralId === caller.ephemeral.id;
  return query.scope === 'team' || record.keyId === caller.key.id;
}

export function createJobListing(store: Store, polling: JobPolling) {
  const statusOf = (body: string) => parseJob(body)?.status;

  async function searchOne(caller: Caller, query: ListQuery, requestId: string): Promise<ListAnswer> {
    const record = await store.getJob(caller.key.team, query.search!);
    const visible = record && visibleTo(caller, query, record);
    if (!visible || !ofModel(record.model, query.model)) return { jobs: [], nextCursor: null, hasMore: false };
    const bodies = await polling.listedStates([record], requestId, listingBudget());
    return {
      jobs: bodies.filter((body) => !query.status || statusOf(body) === query.status),
      nextCursor: null,
      hasMore: false,
    };
  }

  async function list(caller: Caller, query: ListQuery, requestId: string): Promise<ListAnswer> {
    if (query.search) return searchOne(caller, query, requestId);
    let after = positionOf(query.cursor);
    const jobs: string[] = [];
    let scanned = 0;
    let hasMore = true;
    const budget = listingBudget();
    while (jobs.length < query.limit && hasMore && scanned < MAX_SCANNED) {
      const page = await store.listJobs({
        team: caller.key.team,
        ...(query.scope === 'user' && { keyId: caller.key.id }),
        ...(caller.ephemeral && { ephemeralId: caller.ephemeral.id }),
        ...(after && { after }),
        limit: query.limit - jobs.length,
      });
      hasMore = page.hasMore;
      scanned += page.jobs.length;
      const candidates = page.jobs.filter((record) => ofModel(record.model, query.model));
      const bodies = await polling.listedStates(candidates, requestId, budget);
      jobs.push(...bodies.filter((body) => !query.status || statusOf(body) === query.status));
      const last = page.jobs.at(-1);
      if (last) after = { createdAt: last.createdAt, id: last.jobId };
    }
    return { jobs, nextCursor: hasMore && after ? encodeCursor(after) : null, hasMore };
  }

  return { list };
}

export type JobListing = ReturnType<typeof createJobListing>;
