// buildApp(config, deps): the whole gateway as a Fastify instance, ready to listen or to be
// exercised with inject(). Services are created here (or passed in by tests) and shared
// through `app.services`; the reconciler runs while the app is open.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Cluster, Redis } from 'ioredis';
import type { DestinationStream } from 'pino';
import { configSecrets, type Config } from './config.js';
import { createLogger } from './logger.js';
import { useErrorHandler } from './plugins/error-handler.js';
import { useLoadShedding } from './plugins/load-shedding.js';
import { metricsRoute, useRequestMetrics } from './plugins/metrics.js';
import { useOpenApi } from './plugins/openapi.js';
import { useStrictValidation } from './plugins/validation.js';
import { adminRoutes } from './routes/admin/index.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { healthRoutes } from './routes/health.js';
import { v2Routes } from './routes/v2/index.js';
import { webhookRoutes } from './routes/webhooks.js';
import { createAccountCredits, type AccountCredits } from './services/account-credits.js';
import { DAY_MS } from './domain/budgets.js';
import { systemClock, type Clock } from './services/clock.js';
import { createJobGateway, type JobGateway } from './services/job-gateway.js';
import { createJobListing, type JobListing } from './services/job-listing.js';
import { createKeyAdmin, type KeyAdmin } from './services/key-admin.js';
import { createKeyDirectory, type KeyDirectory } from './services/key-directory.js';
import { createMetrics, type Metrics } from './services/metrics.js';
import { createReconciler, type Reconciler } from './services/reconciler.js';
import { createMemoryStore } from './services/store/memory-store.js';
import { connectRedis } from './services/store/redis-connection.js';
import { createRedisStore } from './services/store/redis-store.js';
import type { Store } from './services/store/store.js';
import { createTeamAdmin, type TeamAdmin } from './services/team-admin.js';
import { createUpstreamClient, type UpstreamClient } from './services/upstream.js';
import { createUsageReports, type UsageReports } from './services/usage-report.js';
import { systemResolver, type Resolver } from './services/webhook-target.js';
import { createWebhooks, type Webhooks } from './services/webhooks.js';

export interface Services {
  config: Config;
  metrics: Metrics;
  store: Store;
  /** The store's Redis connection, for plugins that keep state of their own there (rate limits); none in memory. */
  redis?: Redis | Cluster;
  clock: Clock;
  upstream: UpstreamClient;
  account: AccountCredits;
  directory: KeyDirectory;
  keys: KeyAdmin;
  teams: TeamAdmin;
  usage: UsageReports;
  webhooks: Webhooks;
  jobs: JobGateway;
  listing: JobListing;
  reconciler: Reconciler;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

export interface AppDeps {
  store?: Store;
  clock?: Clock;
  /** How webhook hosts are resolved (tests inject one; no traffic leaves loopback). */
  resolver?: Resolver;
  logDestination?: DestinationStream;
  /** Run the background reconciler and webhook deliveries while the app is open (default true). */
  reconcile?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** How often queued webhook deliveries are looked for (new events are sent at once anyway). */
const WEBHOOK_POLL_MS = 1_000;

export async function buildApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const logger = createLogger({
    level: config.LOG_LEVEL,
    secrets: configSecrets(config),
    ...(deps.logDestination && { destination: deps.logDestination }),
  });
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Node checks request timeouts only every connectionsCheckingInterval (30 s by default),
    // so it is shortened for slow clients to be cut off close to REQUEST_TIMEOUT_MS.
    serverFactory: (handler) =>
      createServer(
        {
          requestTimeout: config.REQUEST_TIMEOUT_MS,
          headersTimeout: Math.min(60_000, config.REQUEST_TIMEOUT_MS || 60_000),
          connectionsCheckingInterval: Math.min(30_000, Math.max(250, config.REQUEST_TIMEOUT_MS / 4)),
        },
        handler,
      ),
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const clock = deps.clock ?? systemClock;
  const metrics = createMetrics(() => store.pendingJobCount());
  const opened = deps.store ? { store: deps.store } : openStore(config, logger as FastifyBaseLogger, metrics);
  const { store } = opened;
  const upstream = createUpstreamClient({
    baseUrl: config.APIFRAME_BASE_URL,
    apiKey: config.APIFRAME_API_KEY,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    connections: config.UPSTREAM_CONNECTIONS,
    observe: metrics.upstream,
  });
  const jobs = createJobGateway({
    store,
    upstream,
    pricing: config.pricing,
    clock,
    reservationLeaseMs: config.reservationLeaseMs,
    maxQueueMs: config.UPSTREAM_TIMEOUT_MS,
    pollLockMs: Math.min(config.UPSTREAM_TIMEOUT_MS, 5_000),
    logger,
    metrics,
  });
  const webhooks = createWebhooks({
    store,
    upstreamApiKey: config.APIFRAME_API_KEY,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    policy: {
      allowHttp: config.WEBHOOK_ALLOW_HTTP,
      allowedHosts: config.WEBHOOK_ALLOWED_HOSTS.split(',').map((host) => host.trim()).filter(Boolean),
    },
    resolver: deps.resolver ?? systemResolver,
    clock,
    metrics,
    logger,
  });
  const reconciler = createReconciler({
    store,
    gateway: jobs,
    clock,
    intervalMs: config.RECONCILE_INTERVAL_MS,
    logger,
  });
  app.decorate('services', {
    config,
    metrics,
    store,
    ...(opened.redis && { redis: opened.redis }),
    clock,
    upstream,
    account: createAccountCredits({ upstream, clock }),
    directory: createKeyDirectory({ store, clock }),
    keys: createKeyAdmin(store, clock, Object.keys(config.pricing)),
    teams: createTeamAdmin(store, clock),
    usage: createUsageReports(store),
    webhooks,
    jobs,
    listing: createJobListing(store, jobs),
    reconciler,
  });

  await useOpenApi(app);
  app.removeContentTypeParser('text/plain');
  useStrictValidation(app);
  useErrorHandler(app, config.BODY_LIMIT_BYTES);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  useRequestMetrics(app, metrics);
  await useLoadShedding(app, config.MAX_EVENT_LOOP_DELAY_MS);

  await app.register(healthRoutes);
  if (config.METRICS_TOKEN && !config.METRICS_PORT) await app.register(metricsRoute, { token: config.METRICS_TOKEN });
  await app.register(dashboardRoutes);
  await app.register(v2Routes, { prefix: '/v2' });
  await app.register(webhookRoutes, { prefix: '/webhooks' });
  if (config.ADMIN_TOKEN) await app.register(adminRoutes, { prefix: '/admin', token: config.ADMIN_TOKEN });

  // Requests still in flight when shutdown begins are answered, then their keep-alive
  // connections close, so the server can close without waiting for idle clients.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  if (deps.reconcile !== false) {
    app.addHook('onReady', async () => {
      reconciler.start();
      webhooks.start(WEBHOOK_POLL_MS);
    });
  }
  app.addHook('onClose', async () => {
    await reconciler.stop();
    await webhooks.stop();
    await jobs.close();
    await upstream.close();
    await store.close();
  });
  return app;
}

function openStore(config: Config, logger: FastifyBaseLogger, metrics: Metrics): { store: Store; redis?: Redis | Cluster } {
  const ledgerRetentionMs = config.LEDGER_RETENTION_DAYS * DAY_MS;
  if (config.REDIS_URL || config.REDIS_CLUSTER_NODES || config.REDIS_SENTINELS) {
    const redis = connectRedis({
      url: config.REDIS_URL,
      clusterNodes: config.REDIS_CLUSTER_NODES,
      sentinels: config.REDIS_SENTINELS,
      sentinelMaster: config.REDIS_SENTINEL_MASTER,
      password: config.REDIS_PASSWORD,
      commandTimeoutMs: config.REDIS_TIMEOUT_MS,
    });
    redis.on('error', (error: Error) => {
      metrics.storeError();
      logger.warn({ err: { message: error.message } }, 'redis connection error');
    });
    return { store: createRedisStore(redis, { ledgerRetentionMs, onFailure: () => metrics.storeError() }), redis };
  }
  logger.warn('No Redis configured: using the embedded in-memory store (one instance only, lost on restart)');
  return { store: createMemoryStore({ ledgerRetentionMs }) };
}
