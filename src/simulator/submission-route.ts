// Every job-submitting operation's route: the body parsed and checked by its operation (image,
// video, music, action modules), then shaped by its [sim:…] directives before and after the job
// is created. Answers 202 `{ jobId, status }`, or Apiframe's error for what is wrong.
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ACTION_OPERATIONS } from './action-operations.js';
import { directive, directiveText, outcomeOf, ownDirectives, passedOnDirectives } from './directives.js';
import { sendError } from './error-replies.js';
import { IMAGE_OPERATIONS } from './image-operations.js';
import { statusOf } from './job-view.js';
import { MUSIC_OPERATIONS } from './music-operations.js';
import type { JobTerms, JsonObject, Operation, SimJob, SimulatorState } from './simulator-types.js';
import { VIDEO_OPERATIONS } from './video-operations.js';
import { sendWebhook } from './webhook.js';

export const OPERATIONS: readonly Operation[] = [
  ...IMAGE_OPERATIONS,
  ...VIDEO_OPERATIONS,
  ...MUSIC_OPERATIONS,
  ...ACTION_OPERATIONS,
];

export function registerSubmissionRoutes(app: FastifyInstance, state: SimulatorState): void {
  for (const operation of OPERATIONS) {
    app.post(operation.path, async (request, reply) => {
      const idempotencyKey = request.headers['idempotency-key'];
      if (typeof idempotencyKey !== 'string') return submit(operation, state, request.body as string, reply);
      // Several repeats may wait on one first submission: each looks again once it ends.
      for (let first = state.keysInFlight.get(idempotencyKey); first; first = state.keysInFlight.get(idempotencyKey)) {
        await first;
      }
      const replayed = state.jobs.get(state.idempotent.get(idempotencyKey) ?? '');
      if (replayed) {
        return reply.code(202).send({ jobId: replayed.id, status: statusOf(replayed, state.jobDurationMs).status });
      }
      const handling = submit(operation, state, request.body as string, reply, idempotencyKey);
      state.keysInFlight.set(
        idempotencyKey,
        handling.catch(() => undefined),
      );
      try {
        return await handling;
      } finally {
        state.keysInFlight.delete(idempotencyKey);
      }
    });
  }
}

/** Checks a submission, shapes it by its directives, and creates its job (under `idempotencyKey`, when given). */
async function submit(
  operation: Operation,
  state: SimulatorState,
  text: string,
  reply: FastifyReply,
  idempotencyKey?: string,
) {
  const body = parseObject(text);
  if (!body) return sendError(reply, 400, { details: { $: ['Invalid JSON'] } });
  const terms = operation.accept(body, state);
  if ('status' in terms) return reply.code(terms.status).send(terms.body);
  const bodyText = directiveText(body);
  const directives = `${ownDirectives(bodyText)} ${terms.inheritedDirectives ?? ''}`;
  const latencyMs = Number(directive(directives, 'latency') ?? 0);
  if (latencyMs > 0) await sleep(latencyMs);
  const status = directive(directives, 'status');
  // Apiframe's 402 says what the job needed and what the account had.
  if (status === '402') return sendError(reply, 402, { creditsRequired: terms.cost, creditsAvailable: 0 });
  if (status) return sendError(reply, Number(status));
  if (directive(directives, 'reset') !== undefined) return resetConnection(reply);

  const job = addJob(state, body, terms, { directives, passedOn: passedOnDirectives(bodyText), latencyMs });
  if (idempotencyKey !== undefined) state.idempotent.set(idempotencyKey, job.id);
  scheduleWebhook(state, job, body);
  if (directive(directives, 'lost') !== undefined) return resetConnection(reply);
  return sendAccepted(reply, directives, JSON.stringify({ jobId: job.id, status: 'QUEUED' }));
}

function resetConnection(reply: FastifyReply) {
  reply.request.raw.socket.destroy();
  return reply.hijack();
}

/** The body as a JSON object, or undefined when it is not one. */
function parseObject(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

interface JobDirectives {
  directives: string;
  passedOn: string;
  latencyMs: number;
}

function addJob(state: SimulatorState, body: JsonObject, terms: JobTerms, how: JobDirectives): SimJob {
  const id = randomUUID();
  const job: SimJob = {
    id,
    model: terms.model,
    action: terms.action,
    input: body,
    createdAt: Date.now(),
    outcome: outcomeOf(how.directives),
    cost: Number(
      directive(how.directives, 'cost') ?? state.options.prices?.[terms.priceName] ?? costOf(state, terms, id),
    ),
    statesCost: !how.directives.includes('[sim:nocost]'),
    latencyMs: how.latencyMs,
    failingPolls: Number(directive(how.directives, 'pollfail') ?? 0),
    result: terms.result(id),
    childDirectives: how.passedOn,
  };
  state.jobs.set(job.id, job);
  return job;
}

/** The job's cost by its terms: costMax's, or with `varyCosts` one of the range picked by its id. */
function costOf(state: SimulatorState, { cost, leastCost }: JobTerms, id: string): number {
  if (!state.options.varyCosts || leastCost === undefined || leastCost >= cost) return cost;
  const pick = createHash('sha256').update(id).digest().readUInt32BE(0);
  return leastCost + (pick % (cost - leastCost + 1));
}

/** Posts the terminal event to the submission's webhookUrl, if it has one, once the job is done. */
function scheduleWebhook(state: SimulatorState, job: SimJob, { webhookUrl, webhookEvents }: JsonObject): void {
  if (typeof webhookUrl !== 'string' || job.outcome === 'NEVER') return;
  const events = Array.isArray(webhookEvents) ? webhookEvents : ['completed', 'failed'];
  setTimeout(() => void sendWebhook(state, job, webhookUrl, events), state.jobDurationMs).unref();
}

/** The 202 answer, or the fault a [sim:garbage] or [sim:slowbody=MS] asks for. */
function sendAccepted(reply: FastifyReply, directives: string, answer: string) {
  if (directive(directives, 'garbage') !== undefined) {
    return reply.code(202).type('application/json').send(answer.slice(0, 20));
  }
  const slowBody = directive(directives, 'slowbody');
  if (slowBody !== undefined) {
    reply.hijack();
    reply.raw.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
    reply.raw.write(answer.slice(0, 10));
    setTimeout(() => reply.raw.end(answer.slice(10)), Number(slowBody)).unref();
    return;
  }
  return reply.code(202).type('application/json').send(answer);
}
