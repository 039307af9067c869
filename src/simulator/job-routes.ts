// The simulator's reads: GET /v2/jobs/:id (a poll, which [sim:latency] and [sim:pollfail] slow
// or fail), GET /v2/jobs (the account's jobs, newest first, by cursor) and GET /v2/me.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { sendError } from './error-replies.js';
import { decodeJobCursor, encodeJobCursor, listedAfter } from './job-cursor.js';
import { accountCharges, renderJob } from './job-view.js';
import type { SimulatorState } from './simulator-types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function registerJobRoutes(app: FastifyInstance, state: SimulatorState): void {
  const { jobs, jobDurationMs, options } = state;
  /** The company account, as Apiframe names it: the same ids on every read. */
  const account = { userId: randomUUID(), teamId: randomUUID(), keyId: randomUUID() };

  app.get<{ Params: { id: string } }>('/v2/jobs/:id', async (request, reply) => {
    if (!UUID.test(request.params.id)) return reply.code(400).send({ error: 'Invalid job id' });
    const job = jobs.get(request.params.id);
    if (!job) return reply.code(404).send({ error: 'Job not found' });
    if (job.latencyMs > 0) await sleep(job.latencyMs);
    if (job.failingPolls > 0) {
      job.failingPolls -= 1;
      return sendError(reply, 500);
    }
    return renderJob(job, jobDurationMs);
  });

  app.get<{ Querystring: { limit?: string; cursor?: string } }>('/v2/jobs', async (request, reply) => {
    const limit = Number(request.query.limit ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      return reply.code(400).send({ error: 'Validation failed', details: { limit: ['Must be from 1 to 100'] } });
    const after = request.query.cursor ? decodeJobCursor(request.query.cursor) : undefined;
    if (after === null)
      return reply.code(400).send({ error: 'Validation failed', details: { cursor: ['Invalid cursor'] } });
    const ordered = [...jobs.values()]
      .filter((job) => !after || listedAfter(job, after))
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
    const page = ordered.slice(0, limit);
    const last = page.at(-1);
    const hasMore = ordered.length > limit;
    return {
      jobs: page.map((job) => renderJob(job, jobDurationMs)),
      nextCursor: hasMore && last ? encodeJobCursor(last) : null,
      hasMore,
    };
  });

  app.get('/v2/me', async () => ({
    user: { id: account.userId, email: 'owner@company.example', role: 'OWNER' },
    team: {
      id: account.teamId,
      name: 'Company account',
      credits: Math.max(0, (options.accountCredits ?? 100_000) - accountCharges(state)),
      plan: 'pro',
      customerId: null,
    },
    apiKey: { id: account.keyId, name: 'company key', prefix: options.apiKey.slice(0, 8) },
  }));
}
