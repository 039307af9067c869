// buildApp(config, deps): the whole gateway as a Fastify instance, ready to listen or to be
// exercised with inject(). It only assembles: the server's options, the services (made by
// createServices, shared as `app.services`), the plugins, the routes, and the hooks that start
// and close the services with the app.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { DestinationStream } from 'pino';
import { benchWithout, configSecrets, type Config } from './config.js';
import { createLogger } from './logger.js';
import { errorHandling } from './plugins/error-handler.js';
import { loadShedding } from './plugins/load-shedding.js';
import { metricsRoute, requestMetrics } from './plugins/metrics.js';
import { apiframeRequestIdHeader } from './plugins/apiframe-request-id.js';
import { openApi } from './plugins/openapi.js';
import { rateLimiting } from './plugins/rate-limits.js';
import { abortedRequestLogging, OneLinePerRequest } from './plugins/request-logging.js';
import { requestDeadlines, requestTimeoutForServer } from './plugins/request-deadlines.js';
import { servicesPlugin } from './plugins/services.js';
import { strictValidation } from './plugins/validation.js';
import { adminRoutes } from './routes/admin/index.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { healthRoutes } from './routes/health.js';
import { v2Routes } from './routes/v2/index.js';
import { webhookRoutes } from './routes/webhooks.js';
import type { Clock } from './services/clock.js';
import { createServices } from './services/index.js';
import type { Store } from './services/store/store.js';
import type { Resolver } from './services/webhook-target.js';

export interface AppDeps {
  store?: Store;
  clock?: Clock;
  /** How webhook hosts are resolved (tests inject one; no traffic leaves loopback). */
  resolver?: Resolver;
  logDestination?: DestinationStream;
  /** Run background settlement and webhook deliveries while the app is open (default true). */
  reconcile?: boolean;
}

const deadlines = (config: Config) => ({ requestMs: config.REQUEST_TIMEOUT_MS, uploadMs: config.UPLOAD_TIMEOUT_MS });

/** A caller's x-request-id fit to log (anything else is left out). */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function serverOptions(config: Config, logger: FastifyBaseLogger): FastifyHttpOptions<Server> {
  return {
    loggerInstance: logger,
    logController: new OneLinePerRequest(),
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Node checks request timeouts only every connectionsCheckingInterval (30 s by default),
    // so it is shortened for slow clients to be cut off close to REQUEST_TIMEOUT_MS.
    serverFactory: (handler) =>
      createServer(
        {
          requestTimeout: requestTimeoutForServer(deadlines(config)),
          headersTimeout: Math.min(60_000, config.REQUEST_TIMEOUT_MS || 60_000),
          connectionsCheckingInterval: Math.min(30_000, Math.max(250, config.REQUEST_TIMEOUT_MS / 4)),
        },
        handler,
      ),
    // The gateway's own id of each request, never the caller's x-request-id: callers may repeat an
    // id, and what is kept by it (Apiframe's request ids, logs, the ledger, what Apiframe is sent)
    // must be this request's alone. The caller's id is logged beside it as callerRequestId.
    genReqId: () => randomUUID(),
    childLoggerFactory: (parent, bindings, options, request) => {
      const callerRequestId = callerRequestIdOf(request);
      return parent.child(callerRequestId ? { ...bindings, callerRequestId } : bindings, options);
    },
  };
}

/** The caller's own x-request-id, when it is one fit for the log. */
function callerRequestIdOf(request: IncomingMessage): string | undefined {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : undefined;
}

export async function buildApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const logger = createLogger({
    level: config.LOG_LEVEL,
    secrets: configSecrets(config),
    ...(deps.logDestination && { destination: deps.logDestination }),
  });
  const app = Fastify(serverOptions(config, logger as FastifyBaseLogger)).withTypeProvider<TypeBoxTypeProvider>();
  if (config.BENCH_WITHOUT) {
    logger.warn({ benchWithout: config.BENCH_WITHOUT }, 'BENCH_WITHOUT is set: a benchmark, not a deployment');
  }
  const services = createServices(config, {
    logger,
    ...(deps.store && { store: deps.store }),
    ...(deps.clock && { clock: deps.clock }),
    ...(deps.resolver && { resolver: deps.resolver }),
  });

  await app.register(servicesPlugin, { services, runBackgroundWork: deps.reconcile !== false });
  await app.register(openApi);
  app.removeContentTypeParser('text/plain');
  await app.register(strictValidation, { checkBodies: !benchWithout(config, 'validation') });
  await app.register(errorHandling, { bodyLimit: config.BODY_LIMIT_BYTES });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  await app.register(requestDeadlines, deadlines(config));
  await app.register(abortedRequestLogging);
  if (!benchWithout(config, 'metrics')) await app.register(requestMetrics);
  await app.register(apiframeRequestIdHeader);
  await app.register(loadShedding, { maxEventLoopDelayMs: config.MAX_EVENT_LOOP_DELAY_MS });
  await app.register(rateLimiting, { redis: services.redis });

  await app.register(healthRoutes);
  await app.register(metricsRoute, { token: config.METRICS_PORT ? undefined : config.METRICS_TOKEN });
  await app.register(dashboardRoutes);
  await app.register(v2Routes, { prefix: '/v2' });
  await app.register(webhookRoutes, { prefix: '/webhooks' });
  if (config.ADMIN_TOKEN) await app.register(adminRoutes, { prefix: '/admin', token: config.ADMIN_TOKEN });

  closeConnectionsOnShutdown(app);
  return app;
}

/**
 * Requests still in flight when shutdown begins are answered, then their keep-alive
 * connections close, so the server can close without waiting for idle clients.
 */
function closeConnectionsOnShutdown(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (_request, reply, _payload, done) => {
    if (closing) reply.header('connection', 'close');
    done();
  });
}
