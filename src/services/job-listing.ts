// GET /v2/jobs for a team key: pages through the gateway's own record of the caller's jobs
// (never Apiframe's account-wide list), showing each job as Apiframe currently reports it.
// Settled jobs come from the store; pending ones are refreshed upstream (and settled if done).
import { encodeCursor, positionOf } from './store/cursor.js';
import type { JobRecord, Store } from './store/types.js';
import { parseJob, type Caller, type JobGateway } from './job-gateway.js';

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

export function createJobListing(store: Store, gateway: JobGateway) {
  async function currentBody(record: JobRecord, requestId: string): Promise<string> {
    if (record.finalBody !== null) return record.finalBody;
    const body = await gateway.fetchJob(record.jobId, requestId);
    await gateway.settleIfTerminal(record, body, requestId);
    return body;
  }

  const statusOf = (body: string) => parseJob(body)?.status;

  async function searchOne(caller: Caller, query: ListQuery, requestId: string): Promise<ListAnswer> {
    const record = await store.getJob(caller.key.team, query.search!);
    const visible = record && (query.scope === 'team' || record.keyId === caller.key.id);
    if (!visible || (query.model && record.model !== query.model)) return { jobs: [], nextCursor: null, hasMore: false };
    const body = await currentBody(record, requestId);
    const jobs = !query.status || statusOf(body) === query.status ? [body] : [];
    return { jobs, nextCursor: null, hasMore: false };
  }

  async function list(caller: Caller, query: ListQuery, requestId: string): Promise<ListAnswer> {
    if (query.search) return searchOne(caller, query, requestId);
    let after = positionOf(query.cursor);
    const jobs: string[] = [];
    let scanned = 0;
    let hasMore = true;
    while (jobs.length < query.limit && hasMore && scanned < MAX_SCANNED) {
      const page = await store.listJobs({
        team: caller.key.team,
        ...(query.scope === 'user' && { keyId: caller.key.id }),
        ...(after && { after }),
        limit: query.limit - jobs.length,
      });
      hasMore = page.hasMore;
      scanned += page.jobs.length;
      const candidates = page.jobs.filter((record) => !query.model || record.model === query.model);
      const bodies = await Promise.all(candidates.map((record) => currentBody(record, requestId)));
      jobs.push(...bodies.filter((body) => !query.status || statusOf(body) === query.status));
      const last = page.jobs.at(-1);
      if (last) after = { createdAt: last.createdAt, id: last.jobId };
    }
    return { jobs, nextCursor: hasMore && after ? encodeCursor(after) : null, hasMore };
  }

  return { list };
}

export type JobListing = ReturnType<typeof createJobListing>;
