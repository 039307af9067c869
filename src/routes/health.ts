// Health for orchestrators: /healthz says the process is alive; /readyz says whether it can
// serve (the store reachable with its scripts loaded), with the reason when it cannot.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';

const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  store: Type.String({ description: '"redis" or "memory".' }),
  reason: Type.Optional(Type.String()),
});

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { readiness } = app.services;

  app.get(
    '/healthz',
    {
      schema: {
        tags: ['Operations'],
        summary: 'Liveness: the process is up',
        response: { 200: Type.Object({ status: Type.Literal('ok') }, { examples: [{ status: 'ok' }] }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['Operations'],
        summary: 'Readiness: Redis reachable and its scripts loaded',
        description:
          'Answers 503 with the reason while the gateway cannot meter requests; recovers on its own when Redis returns.',
        response: {
          200: Type.Object(Readiness.properties, { examples: [{ status: 'ready', store: 'redis' }] }),
          503: Type.Object(Readiness.properties, {
            examples: [{ status: 'unavailable', store: 'redis', reason: 'redis is reconnecting' }],
          }),
        },
      },
    },
    async (_request, reply) => {
      const { store, reason } = await readiness.check();
      if (reason) return reply.code(503).send({ status: 'unavailable' as const, store, reason });
      return { status: 'ready' as const, store };
    },
  );
};
