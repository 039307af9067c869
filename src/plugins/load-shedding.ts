// Sheds load with @fastify/under-pressure: when the event loop falls behind, new requests get
// an Apiframe-shaped 503 with Retry-After instead of queueing until everything times out.
import underPressure from '@fastify/under-pressure';
import fp from 'fastify-plugin';
import { errorBody, errors } from '../errors.js';

/** Sheds load once the event loop is `maxEventLoopDelayMs` behind; 0 never sheds. */
export const loadShedding = fp<{ maxEventLoopDelayMs: number }>(
  async (app, { maxEventLoopDelayMs }) => {
    if (maxEventLoopDelayMs === 0) return;
    await app.register(underPressure, {
      maxEventLoopDelay: maxEventLoopDelayMs,
      // Answered here, not by the error handler, which would log every request shed.
      pressureHandler: (_request, reply) => {
        reply.code(503).header('retry-after', '10').send(errorBody(new errors.Overloaded()));
      },
    });
  },
  { name: 'load-shedding', fastify: '5.x' },
);
