// The stack floor: the least a Fastify + undici + ioredis proxy can do while keeping the gateway's
// two money guarantees, to measure the gateway against its own stack. A submission checks one
// static key and a two-field schema, reserves its credits in one Lua script (no call upstream
// without a recorded reservation), forwards, and records the job on its reservation in a second
// script before answering (no accepted job without a record). A poll is a plain forward. No
// logs, no metrics, no ledger, no release of a failed submission's credits (failures are not
// benchmarked). Started by bench/processes.ts with the FLOOR_* variables.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { Pool } from 'undici';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const API_KEY = env('FLOOR_API_KEY');
const UPSTREAM_KEY = env('FLOOR_UPSTREAM_KEY');
const CREDITS = 3;
const BUDGET = Number.MAX_SAFE_INTEGER;

/** Takes `credits` from the balance when it has room, and records the reservation. */
const RESERVE = `
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
if spent + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'spent', ARGV[1])
redis.call('HSET', KEYS[2], 'credits', ARGV[1])
return 1
`;

/** Moves the reservation's credits onto the job. */
const ATTACH = `
local credits = redis.call('HGET', KEYS[1], 'credits')
if not credits then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[2], 'credits', credits, 'state', 'pending')
return 1
`;

interface FloorRedis extends Redis {
  floorReserve(balance: string, reservation: string, credits: number, budget: number): Promise<number>;
  floorAttach(reservation: string, job: string): Promise<number>;
}

const redis = new Redis(env('FLOOR_REDIS_URL'), { enableAutoPipelining: true }) as FloorRedis;
redis.defineCommand('floorReserve', { numberOfKeys: 2, lua: RESERVE });
redis.defineCommand('floorAttach', { numberOfKeys: 2, lua: ATTACH });
const upstream = new Pool(env('FLOOR_UPSTREAM'), { connections: 128 });
const app = Fastify({ logger: false });

const Submission = {
  type: 'object',
  required: ['prompt', 'model'],
  properties: { prompt: { type: 'string', minLength: 1 }, model: { type: 'string', minLength: 1 } },
} as const;

app.addHook('onRequest', async (request, reply) => {
  if (request.headers['x-api-key'] !== API_KEY) return reply.code(401).send({ error: 'unauthorised' });
});

app.post('/v2/images/generate', { schema: { body: Submission } }, async (request, reply) => {
  const reservation = `floor:{bench}:reservation:${randomUUID()}`;
  if ((await redis.floorReserve('floor:{bench}:balance', reservation, CREDITS, BUDGET)) !== 1) {
    return reply.code(402).send({ error: 'budget exceeded' });
  }
  const answer = await upstream.request({
    method: 'POST',
    path: '/v2/images/generate',
    headers: { 'content-type': 'application/json', 'x-api-key': UPSTREAM_KEY },
    body: JSON.stringify(request.body),
  });
  const text = await answer.body.text();
  if (answer.statusCode < 300) {
    const { jobId } = JSON.parse(text) as { jobId: string };
    await redis.floorAttach(reservation, `floor:{bench}:job:${jobId}`);
  }
  return reply.code(answer.statusCode).type('application/json').send(text);
});

app.get<{ Params: { id: string } }>('/v2/jobs/:id', async (request, reply) => {
  const answer = await upstream.request({
    method: 'GET',
    path: `/v2/jobs/${encodeURIComponent(request.params.id)}`,
    headers: { 'x-api-key': UPSTREAM_KEY },
  });
  return reply
    .code(answer.statusCode)
    .type('application/json')
    .send(await answer.body.text());
});

// The readiness probe (bench/processes.ts) asks without a key: any answer below 500 will do.
await app.listen({ port: Number(env('FLOOR_PORT')), host: '127.0.0.1' });
process.once('SIGTERM', () => {
  void app.close().then(() => Promise.all([upstream.close(), redis.quit()]));
});
