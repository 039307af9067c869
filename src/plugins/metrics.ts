// HTTP metrics for every request (labelled by route pattern, never by URL), and the /metrics
// endpoint: on the main port behind METRICS_TOKEN, or alone on METRICS_PORT.
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { errors } from '../errors.js';
import { ErrorResponse } from '../schemas/common.js';
import type { Metrics } from '../services/metrics.js';
import { secretsEqual } from '../services/key-secrets.js';
import { bearerToken } from './team-auth.js';

/** The status a request is counted under when its client closes the connection before the answer (nginx's). */
const CLIENT_CLOSED_REQUEST = 499;

export const requestMetrics = fp(
  async (app) => {
    const { metrics } = app.services;
    app.addHook('onRequest', (request, reply, done) => {
      const startedAt = performance.now();
      metrics.inFlight.inc();
      // 'close' comes once the answer is sent or, first, when the client leaves: fastify's
      // onRequestAbort misses a client that leaves after its body was read.
      reply.raw.once('close', () => {
        metrics.inFlight.dec();
        const status = reply.raw.writableEnded ? reply.statusCode : CLIENT_CLOSED_REQUEST;
        metrics.request(
          request.method,
          request.routeOptions.url ?? 'unmatched',
          status,
          (performance.now() - startedAt) / 1000,
        );
      });
      done();
    });
  },
  { name: 'request-metrics', fastify: '5.x', dependencies: ['services'], decorators: { fastify: ['services'] } },
);

async function exposition(metrics: Metrics) {
  return { type: metrics.registry.contentType, body: await metrics.registry.metrics() };
}

/**
 * GET /metrics on the main port, for `Authorization: Bearer $METRICS_TOKEN` only. Registered and
 * described in every configuration, so the OpenAPI document does not depend on it: without a
 * token for this port (none set, or METRICS_PORT serves them) it answers as an unknown route.
 */
export const metricsRoute: FastifyPluginAsync<{ token: string | undefined }> = async (app, options) => {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['Operations'],
        summary: 'Prometheus metrics (Bearer METRICS_TOKEN)',
        description:
          'Prometheus text exposition, for `Authorization: Bearer $METRICS_TOKEN`. ' +
          '404 when this port serves no metrics: no `METRICS_TOKEN`, or `METRICS_PORT` serves them apart.',
        security: [{ MetricsToken: [] }],
        response: {
          200: {
            description: 'Prometheus text format 0.0.4.',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          401: ErrorResponse,
          404: ErrorResponse,
        },
      },
    },
    async (request, reply) => {
      if (!options.token) return reply.callNotFound();
      const token = bearerToken(request);
      if (!token || !secretsEqual(token, options.token)) throw new errors.MetricsUnauthorized();
      const { type, body } = await exposition(app.services.metrics);
      return reply.type(type).send(body);
    },
  );
};

/** A listener of its own for /metrics, for scrapers on a private port. */
export async function startMetricsServer(metrics: Metrics, port: number, host: string): Promise<FastifyInstance> {
  const server = Fastify({ logger: false });
  server.get('/metrics', async (_request, reply) => {
    const { type, body } = await exposition(metrics);
    return reply.type(type).send(body);
  });
  await server.listen({ port, host });
  return server;
}
