// LoRA training, as Apiframe runs it for the company account: POST /v2/loras (202 LoraCreated,
// 2 credits up front), GET /v2/loras (newest first, by cursor), GET /v2/loras/{id} and DELETE
// (archived, 204, idempotent). A LoRA goes PENDING → TRAINING → READY over the job duration, or
// ends FAILED with its 2 credits refunded. In its name, [sim:garbage] and [sim:latency=MS] create
// (and charge) the LoRA but cut its 202 answer short, or send it MS late.
import type { FastifyInstance } from 'fastify';
import { directive } from './directives.js';
import { loraOf } from './lora-training.js';
import type { MultipartBody } from './multipart.js';
import type { SimLora, SimulatorState } from './simulator-types.js';

/** What training a LoRA costs, as Apiframe's spec says. */
export const LORA_CREDITS = 2;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ACCOUNT = { userId: '5b0c8f7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f', teamId: '7c1d9e8f-2a3b-4d5c-8f9e-1b2c3d4e5f6a' };

interface ListQuery {
  cursor?: string;
  limit?: string;
  includeArchived?: string;
}

export function registerLoraRoutes(app: FastifyInstance, state: SimulatorState): void {
  const { loras } = state;
  const view = (lora: SimLora) => renderLora(lora, state.jobDurationMs);
  const invalid = (field: string, message: string) => ({ error: 'Validation failed', details: { [field]: [message] } });

  app.post('/v2/loras', async (request, reply) => {
    const parts = request.body as MultipartBody | undefined;
    if (!parts) return reply.code(400).send(invalid('images', 'Expected a multipart/form-data body'));
    const training = loraOf(parts);
    if ('details' in training) return reply.code(400).send({ error: 'Validation failed', details: training.details });
    const { lora } = training;
    loras.set(lora.id, lora);
    const latencyMs = Number(directive(lora.name, 'latency') ?? 0);
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const created = JSON.stringify({ id: lora.id, status: 'PENDING', imageCount: lora.imageCount });
    // [sim:garbage]: created and charged, but the answer is cut short.
    const answer = directive(lora.name, 'garbage') === undefined ? created : created.slice(0, 20);
    return reply.code(202).type('application/json').send(answer);
  });

  app.get<{ Querystring: ListQuery }>('/v2/loras', async (request, reply) => {
    const { cursor, includeArchived = 'false' } = request.query;
    const limit = Number(request.query.limit ?? 24);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return reply.code(400).send(invalid('limit', 'Must be an integer from 1 to 100'));
    }
    if (cursor !== undefined && !loras.has(cursor)) return reply.code(400).send(invalid('cursor', 'Invalid cursor'));
    if (!['true', 'false'].includes(includeArchived)) {
      return reply.code(400).send(invalid('includeArchived', "Expected 'true' | 'false'"));
    }
    const ordered = [...loras.values()]
      .filter((lora) => includeArchived === 'true' || lora.archivedAt === undefined)
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
    const after = cursor === undefined ? 0 : ordered.findIndex((lora) => lora.id === cursor) + 1;
    const page = ordered.slice(after, after + limit);
    const hasMore = ordered.length > after + limit;
    return { items: page.map(view), nextCursor: hasMore ? page.at(-1)!.id : null };
  });

  app.get<{ Params: { id: string } }>('/v2/loras/:id', async (request, reply) => {
    if (!UUID.test(request.params.id)) return reply.code(400).send(invalid('id', 'Invalid uuid'));
    const lora = loras.get(request.params.id);
    return lora ? view(lora) : reply.code(404).send({ error: 'LoRA not found' });
  });

  app.delete<{ Params: { id: string } }>('/v2/loras/:id', async (request, reply) => {
    if (!UUID.test(request.params.id)) return reply.code(400).send(invalid('id', 'Invalid uuid'));
    const lora = loras.get(request.params.id);
    if (!lora) return reply.code(404).send({ error: 'LoRA not found' });
    lora.archivedAt ??= Date.now();
    return reply.code(204).send();
  });
}

/** A LoRA's status follows from the time since it was created, like a job's. */
function statusOf(lora: SimLora, durationMs: number, now = Date.now()): string {
  if (lora.archivedAt !== undefined) return 'ARCHIVED';
  const elapsed = now - lora.createdAt;
  if (elapsed < durationMs / 3) return 'PENDING';
  return elapsed < durationMs ? 'TRAINING' : lora.outcome;
}

/** The LoRA in the spec's shape. */
export function renderLora(lora: SimLora, durationMs: number) {
  const status = statusOf(lora, durationMs);
  const iso = (ms: number) => new Date(ms).toISOString();
  const started = Date.now() - lora.createdAt >= durationMs / 3 || status === 'ARCHIVED';
  const done = status === 'READY' || status === 'FAILED';
  return {
    id: lora.id,
    ...ACCOUNT,
    name: lora.name,
    subjectKind: lora.subjectKind,
    gender: lora.gender,
    ethnicity: lora.ethnicity,
    age: lora.age,
    status,
    imageCount: lora.imageCount,
    steps: lora.steps,
    loraRank: lora.loraRank,
    isReady: status === 'READY',
    error: status === 'FAILED' ? 'Training failed' : null,
    createdAt: iso(lora.createdAt),
    startedAt: started ? iso(lora.createdAt + durationMs / 3) : null,
    completedAt: done ? iso(lora.createdAt + durationMs) : null,
    hasWeights: status === 'READY',
    triggerWord: status === 'READY' ? `lora_${lora.id.slice(0, 8)}` : null,
  };
}

/** Credits the LoRAs cost the account now: 2 each, refunded for those that failed. */
export function loraCharges(loras: Iterable<SimLora>, durationMs: number): number {
  let sum = 0;
  const now = Date.now();
  for (const lora of loras) {
    const refunded = lora.outcome === 'FAILED' && now - lora.createdAt >= durationMs;
    if (!refunded) sum += LORA_CREDITS;
  }
  return sum;
}
