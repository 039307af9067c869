// A faithful stand-in for Apiframe v2, as a real HTTP server: jobs are accepted with 202 and
// progress QUEUED → PROCESSING → COMPLETED (or FAILED, CANCELLED) over time, with Apiframe's
// error shapes. The demo, the tests and the benchmarks run against it over loopback.
//
// Behaviour on demand travels inside the prompt, so it passes through the gateway unchanged:
//   [sim:fail]        the job ends FAILED (creditCost 0)
//   [sim:cancel]      the job ends CANCELLED (creditCost 0)
//   [sim:never]       the job never finishes
//   [sim:status=NNN]  the submission is answered with that HTTP status (400/401/402/429/500/503)
//   [sim:latency=MS]  the submission and every poll of the job wait MS first
//   [sim:cost=N]      the completed job reports creditCost N
//   [sim:reset]       the submission's connection is reset (no job is created)
//   [sim:garbage]     the job is created but the 202 body is malformed JSON
//   [sim:slowbody=MS] the job is created, the 202 headers are sent, the body MS later
//   [sim:pollfail=N]  the first N polls of the job answer 500
// A job submitted with a webhookUrl gets its terminal event posted there, signed like Apiframe's.
import { createHash, createHmac, randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { decodeJobCursor, encodeJobCursor, listedAfter } from './job-cursor.js';
import type { Outcome, RecordedRequest, SimJob, Simulator, SimulatorOptions } from './simulator-types.js';

export type { RecordedRequest, Simulator, SimulatorOptions } from './simulator-types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ERROR_MESSAGES: Record<number, string> = {
  400: 'Validation failed',
  401: 'Invalid API key',
  402: 'Insufficient credits',
  403: 'API key inactive',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service temporarily unavailable',
};

function directive(prompt: string, name: string): string | undefined {
  const match = new RegExp(`\\[sim:${name}(?:=(\\d+))?\\]`).exec(prompt);
  return match ? (match[1] ?? '') : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startSimulator(options: SimulatorOptions, port = 0, host = '127.0.0.1'): Promise<Simulator> {
  const jobDurationMs = options.jobDurationMs ?? 1_000;
  const jobs = new Map<string, SimJob>();
  const idempotent = new Map<string, string>();
  const requests: RecordedRequest[] = [];
  const webhooksSent: { url: string; event: string; status: number }[] = [];
  let forcedStatus: number | null = null;
  const inFlight = new Map<string, { now: number; peak: number }>();

  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  function sendError(reply: FastifyReply, status: number, extra: Record<string, unknown> = {}) {
    if (status === 429) reply.header('retry-after', '2');
    return reply.code(status).send({ error: ERROR_MESSAGES[status] ?? 'Error', ...extra });
  }

  function statusOf(job: SimJob, now = Date.now()) {
    const elapsed = now - job.createdAt;
    if (job.outcome === 'NEVER' || elapsed < jobDurationMs) {
      const progress = job.outcome === 'NEVER' ? 50 : Math.min(99, Math.floor((elapsed / jobDurationMs) * 100));
      return { status: elapsed < jobDurationMs / 3 ? 'QUEUED' : 'PROCESSING', progress };
    }
    return { status: job.outcome, progress: 100 };
  }

  function render(job: SimJob, now = Date.now()) {
    const { status, progress } = statusOf(job, now);
    const terminal = status === 'COMPLETED' || status === 'FAILED' || status === 'CANCELLED';
    return {
      id: job.id,
      status,
      model: job.model,
      progress,
      error: status === 'FAILED' ? 'Generation failed' : null,
      creditCost: terminal ? (status === 'COMPLETED' ? job.cost : 0) : null,
      webhookStatus: null,
      createdAt: new Date(job.createdAt).toISOString(),
      completedAt: terminal ? new Date(job.createdAt + jobDurationMs).toISOString() : null,
      expired: false,
      input: job.input,
      result: status === 'COMPLETED' ? { images: [`https://cdn.simulator.invalid/${job.id}.png`] } : null,
    };
  }

  /** Apiframe's webhook: the terminal event, signed with HMAC-SHA256 keyed by SHA-256 of the key. */
  async function sendWebhook(job: SimJob, url: string, events: unknown[]): Promise<void> {
    // Sent when the job is done; a timer may fire a millisecond before Date.now() says so.
    const state = render(job, Math.max(Date.now(), job.createdAt + jobDurationMs));
    const event = state.status === 'COMPLETED' ? 'completed' : 'failed';
    if (!events.includes(event)) return;
    const body = JSON.stringify({
      event,
      jobId: job.id,
      status: state.status,
      progress: state.progress,
      result: state.result,
      model: job.model,
      creditCost: state.creditCost,
      completedAt: state.completedAt,
    });
    const signature = `sha256=${createHmac('sha256', createHash('sha256').update(options.apiKey).digest()).update(body).digest('hex')}`;
    // Like Apiframe, retry with backoff until the receiver takes it (here for about 12 s).
    for (let attempt = 0; attempt < 8; attempt++) {
      const answer = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-webhook-signature': signature, 'x-webhook-event': event },
        body,
      }).catch(() => null);
      webhooksSent.push({ url, event, status: answer?.status ?? 0 });
      if (answer?.ok) return;
      await sleep(100 * 2 ** attempt);
    }
  }

  const routeOf = (request: FastifyRequest) => `${request.method} ${request.routeOptions.url ?? ''}`;
  app.addHook('onRequest', async (request) => {
    const count = inFlight.get(routeOf(request)) ?? { now: 0, peak: 0 };
    count.now += 1;
    count.peak = Math.max(count.peak, count.now);
    inFlight.set(routeOf(request), count);
  });
  app.addHook('onResponse', async (request) => {
    inFlight.get(routeOf(request))!.now -= 1;
  });

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (options.recordRequests !== false) {
      requests.push({
        method: request.method,
        url: request.url,
        headers: { ...request.headers },
        body: typeof request.body === 'string' ? request.body : '',
      });
    }
    if (forcedStatus !== null) return sendError(reply, forcedStatus);
    if (request.headers['x-api-key'] !== options.apiKey) return sendError(reply, 401);
  });

  app.post('/v2/images/generate', async (request, reply) => {
    let body: { prompt?: unknown; model?: unknown };
    try {
      body = JSON.parse(request.body as string) as typeof body;
    } catch {
      return sendError(reply, 400, { details: { $: ['Invalid JSON'] } });
    }
    const prompt = typeof body.prompt === 'string' ? body.prompt : '';
    if (!prompt || prompt.length > 2000 || typeof body.model !== 'string') {
      return sendError(reply, 400, { details: { prompt: ['Required'] } });
    }
    const latencyMs = Number(directive(prompt, 'latency') ?? 0);
    if (latencyMs > 0) await sleep(latencyMs);
    const status = directive(prompt, 'status');
    if (status) return sendError(reply, Number(status));
    if (directive(prompt, 'reset') !== undefined) {
      request.raw.socket.destroy();
      return reply.hijack();
    }

    const idempotencyKey = request.headers['idempotency-key'];
    const replayed = typeof idempotencyKey === 'string' ? jobs.get(idempotent.get(idempotencyKey) ?? '') : undefined;
    if (replayed) return reply.code(202).send({ jobId: replayed.id, status: statusOf(replayed).status });

    const outcome: Outcome =
      directive(prompt, 'fail') !== undefined
        ? 'FAILED'
        : directive(prompt, 'cancel') !== undefined
          ? 'CANCELLED'
          : directive(prompt, 'never') !== undefined
            ? 'NEVER'
            : 'COMPLETED';
    const job: SimJob = {
      id: randomUUID(),
      model: body.model,
      input: body as Record<string, unknown>,
      createdAt: Date.now(),
      outcome,
      cost: Number(directive(prompt, 'cost') ?? options.prices?.[body.model] ?? 1),
      latencyMs,
      failingPolls: Number(directive(prompt, 'pollfail') ?? 0),
    };
    jobs.set(job.id, job);
    if (typeof idempotencyKey === 'string') idempotent.set(idempotencyKey, job.id);
    const { webhookUrl, webhookEvents } = body as { webhookUrl?: unknown; webhookEvents?: unknown };
    if (typeof webhookUrl === 'string' && outcome !== 'NEVER') {
      const events = Array.isArray(webhookEvents) ? webhookEvents : ['completed', 'failed'];
      setTimeout(() => void sendWebhook(job, webhookUrl, events), jobDurationMs).unref();
    }
    const answer = JSON.stringify({ jobId: job.id, status: 'QUEUED' });
    if (directive(prompt, 'garbage') !== undefined)
      return reply.code(202).type('application/json').send(answer.slice(0, 20));
    const slowBody = directive(prompt, 'slowbody');
    if (slowBody !== undefined) {
      reply.hijack();
      reply.raw.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
      reply.raw.write(answer.slice(0, 10));
      setTimeout(() => reply.raw.end(answer.slice(10)), Number(slowBody)).unref();
      return;
    }
    return reply.code(202).type('application/json').send(answer);
  });

  app.get<{ Params: { id: string } }>('/v2/jobs/:id', async (request, reply) => {
    if (!UUID.test(request.params.id)) return reply.code(400).send({ error: 'Invalid job id' });
    const job = jobs.get(request.params.id);
    if (!job) return reply.code(404).send({ error: 'Job not found' });
    if (job.latencyMs > 0) await sleep(job.latencyMs);
    if (job.failingPolls > 0) {
      job.failingPolls -= 1;
      return sendError(reply, 500);
    }
    return render(job);
  });

  app.get<{ Querystring: { limit?: string; cursor?: string } }>('/v2/jobs', async (request, reply) => {
    const limit = Math.min(Math.max(Number(request.query.limit ?? 20) || 20, 1), 100);
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
      jobs: page.map((job) => render(job)),
      nextCursor: hasMore && last ? encodeJobCursor(last) : null,
      hasMore,
    };
  });

  const chargedCredits = () =>
    [...jobs.values()].reduce((sum, job) => (statusOf(job).status === 'COMPLETED' ? sum + job.cost : sum), 0);

  app.get('/v2/me', async () => ({
    user: { id: randomUUID(), email: 'owner@company.example', role: 'OWNER' },
    team: {
      id: randomUUID(),
      name: 'Company account',
      credits: Math.max(0, (options.accountCredits ?? 100_000) - chargedCredits()),
      plan: 'pro',
      customerId: null,
    },
    apiKey: { id: randomUUID(), name: 'company key', prefix: options.apiKey.slice(0, 8) },
  }));

  const address = await app.listen({ port, host });
  return {
    url: address,
    requests,
    webhooksSent,
    chargedCredits,
    jobStatus: (id) => {
      const job = jobs.get(id);
      return job && statusOf(job).status;
    },
    peakInFlight: (route) => inFlight.get(route)?.peak ?? 0,
    failAll: (status) => {
      forcedStatus = status;
    },
    close: () => app.close(),
  };
}
