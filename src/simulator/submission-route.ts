// POST /v2/images/generate: validated like Apiframe's, then shaped by the prompt's [sim:…]
// directives (listed in simulator.ts) before and after the job is created.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sendError } from './error-replies.js';
import { statusOf } from './job-view.js';
import type { Outcome, SimJob, SimulatorState } from './simulator-types.js';
import { sendWebhook } from './webhook.js';

/** A submission's JSON body once validated; the whole of it is kept as the job's input. */
type Submission = Record<string, unknown> & { prompt: string; model: string };

export function registerSubmissionRoute(app: FastifyInstance, state: SimulatorState): void {
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
    const replayed =
      typeof idempotencyKey === 'string' ? state.jobs.get(state.idempotent.get(idempotencyKey) ?? '') : undefined;
    if (replayed) {
      return reply.code(202).send({ jobId: replayed.id, status: statusOf(replayed, state.jobDurationMs).status });
    }

    const job = addJob(state, body as Submission, latencyMs);
    if (typeof idempotencyKey === 'string') state.idempotent.set(idempotencyKey, job.id);
    scheduleWebhook(state, job, body as Submission);
    return sendAccepted(reply, prompt, JSON.stringify({ jobId: job.id, status: 'QUEUED' }));
  });
}

/** The value of the prompt's `[sim:name=N]` (empty for a bare `[sim:name]`), undefined when absent. */
function directive(prompt: string, name: string): string | undefined {
  const match = new RegExp(`\\[sim:${name}(?:=(\\d+))?\\]`).exec(prompt);
  return match ? (match[1] ?? '') : undefined;
}

function outcomeOf(prompt: string): Outcome {
  if (directive(prompt, 'fail') !== undefined) return 'FAILED';
  if (directive(prompt, 'cancel') !== undefined) return 'CANCELLED';
  if (directive(prompt, 'never') !== undefined) return 'NEVER';
  return 'COMPLETED';
}

function addJob(state: SimulatorState, submission: Submission, latencyMs: number): SimJob {
  const { prompt, model } = submission;
  const job: SimJob = {
    id: randomUUID(),
    model,
    input: submission,
    createdAt: Date.now(),
    outcome: outcomeOf(prompt),
    cost: Number(directive(prompt, 'cost') ?? state.options.prices?.[model] ?? 1),
    latencyMs,
    failingPolls: Number(directive(prompt, 'pollfail') ?? 0),
  };
  state.jobs.set(job.id, job);
  return job;
}

/** Posts the terminal event to the submission's webhookUrl, if it has one, once the job is done. */
function scheduleWebhook(state: SimulatorState, job: SimJob, { webhookUrl, webhookEvents }: Submission): void {
  if (typeof webhookUrl !== 'string' || job.outcome === 'NEVER') return;
  const events = Array.isArray(webhookEvents) ? webhookEvents : ['completed', 'failed'];
  setTimeout(() => void sendWebhook(state, job, webhookUrl, events), state.jobDurationMs).unref();
}

/** The 202 answer, or the fault a [sim:garbage] or [sim:slowbody=MS] asks for. */
function sendAccepted(reply: FastifyReply, prompt: string, answer: string) {
  if (directive(prompt, 'garbage') !== undefined) {
    return reply.code(202).type('application/json').send(answer.slice(0, 20));
  }
  const slowBody = directive(prompt, 'slowbody');
  if (slowBody !== undefined) {
    reply.hijack();
    reply.raw.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
    reply.raw.write(answer.slice(0, 10));
    setTimeout(() => reply.raw.end(answer.slice(10)), Number(slowBody)).unref();
    return;
  }
  return reply.code(202).type('application/json').send(answer);
}
