// Sheds load with @fastify/under-pressure: when the event loop falls behind, new requests get
// an Apiframe-shaped 503 with Retry-After instead of queueing until everything times out.
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';

export async function useLoadShedding(app: FastifyInstance, maxEventLoopDelayMs: number): Promise<void> {
  if (maxEventLoopDelayMs === 0) return;
  await app.register(underPressure, {
    maxEventLoopDelay: maxEventLoopDelayMs,
    retryAfter: 10,
    pressureHandler: (_request, reply) => {
      reply
        .code(503)
        .header('retry-after', '10')
        .send({ error: 'Gateway overloaded; retry later', code: 'GW_OVERLOADED' });
    },
  });
}
