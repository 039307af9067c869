// createServices(config, deps): every service of the gateway, built once from the configuration
// in the order they depend on each other, with start() for the background work and close(),
// which stops that work before closing the upstream pool and then the store it still uses.
import { type ApiframeRequestIds, createApiframeRequestIds } from './apiframe-request-ids.js';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createAccountCredits, type AccountCredits } from './account-credits.js';
import { createAlertAdmin, type AlertAdmin } from './alert-admin.js';
import { createAlertNotice } from './alerts.js';
import { createAuditTrail, type AuditTrail } from './audit-trail.js';
import { systemClock, type Clock } from './clock.js';
import type { BackgroundSettlement } from './background-settlement.js';
import type { JobListing } from './job-listing.js';
import type { JobPolling } from './job-polling.js';
import { createJobServices } from './job-services.js';
import type { JobSettlement } from './job-settlement.js';
import type { JobSubmission } from './job-submission.js';
import { createKeyAdmin, type KeyAdmin } from './key-admin.js';
import { createEphemeralKeys, type EphemeralKeys } from './ephemeral-keys.js';
import { createKeyLookup, type KeyLookup } from './key-lookup.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createModelCatalogue, type ModelCatalogue } from './model-catalogue.js';
import { createObjectServices, type ObjectServices } from './objects/index.js';
import { openStore } from './open-store.js';
import { JOB_OPERATIONS } from './operations/index.js';
import { createPriceList, type PriceList } from './price-list.js';
import { operatorPriceSource, type PriceSource } from './prices.js';
import { createPriceCatalogue, type PriceCatalogue, type PriceCatalogueDeps } from './price-catalogue.js';
import { createReadiness, type Readiness } from './readiness.js';
import { createSpendableCredits, type SpendableCredits } from './spendable-credits.js';
import type { Store } from './store/store.js';
import { createTeamAdmin, type TeamAdmin } from './team-admin.js';
import { createUpstreamClient, type UpstreamClient } from './upstream.js';
import { createUsageEvents, type UsageEvents } from './usage-events.js';
import { createUsageReconciliation, type UsageReconciliation } from './usage-reconciliation.js';
import { respectingPause } from './paused-upstream.js';
import { createUpstreamPause } from './upstream-pause.js';
import { createUsageReports, type UsageReports } from './usage-report.js';
import { createBudgetForecasts, type BudgetForecasts } from './budget-forecasts.js';
import { createTeamStatements, type TeamStatements } from './statements/team-statement.js';
import { createWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';
import { systemResolver, type Resolver } from './webhook-target.js';
import { createWebhooks, type Webhooks } from './webhooks.js';

export interface ServiceDeps {
  logger: Logger;
  /** A store to use instead of the one the configuration names (tests share one). */
  store?: Store;
  clock?: Clock;
  /** How webhook hosts are resolved (tests inject one; no traffic leaves loopback). */
  resolver?: Resolver;
}

export interface Services {
  config: Config;
  metrics: Metrics;
  store: Store;
  /** The store's Redis connection, for plugins that keep state of their own there (rate limits); none in memory. */
  redis?: Redis | Cluster;
  readiness: Readiness;
  clock: Clock;
  upstream: UpstreamClient;
  /** Apiframe's request ids by the gateway request in flight whose calls received them. */
  apiframeRequestIds: ApiframeRequestIds;
  account: AccountCredits;
  models: ModelCatalogue;
  priceList: PriceList;
  spendable: SpendableCredits;
  keyLookup: KeyLookup;
  keys: KeyAdmin;
  ephemeralKeys: EphemeralKeys;
  teams: TeamAdmin;
  audit: AuditTrail;
  /** Teams' alert targets and alert history. */
  alerts: AlertAdmin;
  usage: UsageReports;
  usageEvents: UsageEvents;
  forecasts: BudgetForecasts;
  statements: TeamStatements;
  reconciliation: UsageReconciliation;
  webhooks: Webhooks;
  webhookReceiver: WebhookReceiver;
  submissions: JobSubmission;
  polling: JobPolling;
  settlement: JobSettlement;
  listing: JobListing;
  backgroundSettlement: BackgroundSettlement;
  /** Uploads, LoRAs and assets: each the team's that created it. */
  objects: ObjectServices;
  /** Starts the background work: settling what nobody polls, refunding failed LoRAs, sending queued webhooks. */
  start(): void;
  /** Stops the background work, then closes what it used: job refreshes and recording, the upstream pool, the store. */
  close(): Promise<void>;
}

/** How often queued webhook deliveries are looked for (new events are sent at once anyway). */
const WEBHOOK_POLL_MS = 1_000;

export function createServices(config: Config, deps: ServiceDeps): Services {
  const { logger } = deps;
  const clock = deps.clock ?? systemClock;
  const metrics = createMetrics();
  const opened = deps.store ? { store: deps.store } : openStore(config, logger, metrics);
  const { store } = opened;
  metrics.countPendingJobsWith(() => store.pendingJobCount());
  const { upstream, apiframeRequestIds } = apiframeClient(config, metrics, logger);
  const webhooks = webhookDeliveries(config, {
    store,
    resolver: deps.resolver ?? systemResolver,
    clock,
    metrics,
    logger,
  });
  const pause = createUpstreamPause(store);
  const heldUpstream = respectingPause(upstream, pause);
  const prices = priceSource(config, { upstream: heldUpstream, store, clock, logger }, metrics);
  const jobs = createJobServices({ config, prices, store, upstream, webhooks, clock, logger, metrics, pause });
  const account = createAccountCredits({ upstream: heldUpstream, clock });
  const objects = createObjectServices({
    store,
    upstream: heldUpstream,
    clock,
    logger,
    metrics,
    reservation: jobs.reservation,
    settlement: jobs.settlement,
    intervalMs: config.RECONCILE_INTERVAL_MS,
    enabledModels: new Set(config.operatorPricing.enabledModels),
  });

  return {
    config,
    metrics,
    store,
    ...(opened.redis && { redis: opened.redis }),
    readiness: createReadiness(store),
    clock,
    upstream,
    apiframeRequestIds,
    account,
    ...offeredModels(config, prices, heldUpstream, clock),
    spendable: createSpendableCredits({ store, account, clock }),
    keyLookup: createKeyLookup({ store, clock }),
    ...keyAdministration(config, store, clock),
    audit: createAuditTrail(store),
    alerts: budgetAlerts(store, webhooks, { metrics, logger, clock }),
    usageEvents: createUsageEvents(store),
    ...financeOutlook(store, clock),
    reconciliation: createUsageReconciliation(store, heldUpstream, pause),
    webhooks,
    webhookReceiver: createWebhookReceiver({ store, settlement: jobs.settlement, recording: jobs.recording, webhooks }),
    submissions: jobs.submissions,
    polling: jobs.polling,
    settlement: jobs.settlement,
    listing: jobs.listing,
    backgroundSettlement: jobs.backgroundSettlement,
    objects,
    start() {
      if ('start' in prices) prices.start();
      jobs.start();
      objects.loraOutcomes.start();
      webhooks.start(WEBHOOK_POLL_MS);
    },
    async close() {
      if ('stop' in prices) prices.stop();
      await jobs.backgroundSettlement.stop();
      await objects.loraOutcomes.stop();
      await webhooks.stop();
      await jobs.close();
      await upstream.close();
      await store.close();
    },
  };
}

/** The webhook agent: relayed job events and budget alerts, under the configured SSRF policy. */
function webhookDeliveries(
  config: Config,
  deps: { store: Store; resolver: Resolver; clock: Clock; metrics: Metrics; logger: Logger },
): Webhooks {
  return createWebhooks({
    ...deps,
    upstreamApiKey: config.APIFRAME_API_KEY,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    policy: { allowHttp: config.WEBHOOK_ALLOW_HTTP, allowedHosts: config.webhookAllowedHosts },
    redisTimeoutMs: config.REDIS_TIMEOUT_MS,
  });
}

/** Alerts the store raises, counted, audited and sent at once; the admin's side of them. */
function budgetAlerts(store: Store, webhooks: Webhooks, deps: { metrics: Metrics; logger: Logger; clock: Clock }) {
  store.onAlerts(createAlertNotice({ store, metrics: deps.metrics, logger: deps.logger, kick: webhooks.kick }));
  return createAlertAdmin({ store, clock: deps.clock, checkTarget: webhooks.checkAlertTarget });
}

/** The admin's services for keys and teams, and the minting of ephemeral keys. */
function keyAdministration(config: Config, store: Store, clock: Clock) {
  return {
    keys: createKeyAdmin(store, clock, config.operatorPricing.enabledModels),
    ephemeralKeys: createEphemeralKeys(store, clock),
    teams: createTeamAdmin(store, clock),
  };
}

/** Usage reports, and what finance reads from them: forecasts and statements. */
function financeOutlook(store: Store, clock: Clock) {
  const usage = createUsageReports(store);
  return {
    usage,
    forecasts: createBudgetForecasts(store, clock),
    statements: createTeamStatements(store, usage, clock),
  };
}

/** The client of Apiframe, logging each call with Apiframe's request id and noting it for the caller's answer. */
function apiframeClient(config: Config, metrics: Metrics, logger: Logger) {
  const apiframeRequestIds = createApiframeRequestIds();
  const upstream = createUpstreamClient({
    baseUrl: config.APIFRAME_BASE_URL,
    apiKey: config.APIFRAME_API_KEY,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    connections: config.UPSTREAM_CONNECTIONS,
    streamConnections: config.UPLOAD_CONNECTIONS,
    observe: metrics.upstream,
    answered: (call) => {
      if (call.apiframeRequestId) apiframeRequestIds.note(call.requestId, call.apiframeRequestId);
      logger.info(call, 'apiframe call');
    },
  });
  return { upstream, apiframeRequestIds };
}

/** What the gateway offers and at what price: Apiframe's catalogue filtered, and the price list. */
function offeredModels(config: Config, prices: PriceSource, upstream: UpstreamClient, clock: Clock) {
  const { enabledModels } = config.operatorPricing;
  return {
    models: createModelCatalogue({ upstream, clock, prices, enabledModels }),
    priceList: createPriceList({ prices, enabledModels, operations: JOB_OPERATIONS }),
  };
}

/** Apiframe's catalogue prices under the operator's, or the operator's alone (CATALOGUE_REFRESH_MS=0). */
function priceSource(
  config: Config,
  deps: Pick<PriceCatalogueDeps, 'upstream' | 'store' | 'clock' | 'logger'>,
  metrics: Metrics,
): PriceSource | PriceCatalogue {
  const { rules, ceilings } = config.operatorPricing;
  const operator = { rules, ceilings };
  if (config.CATALOGUE_REFRESH_MS === 0) return operatorPriceSource(operator);
  const catalogue = createPriceCatalogue({
    ...deps,
    operator,
    refreshMs: config.CATALOGUE_REFRESH_MS,
    maxAgeMs: config.CATALOGUE_MAX_AGE_MS,
    firstReadWaitMs: config.UPSTREAM_TIMEOUT_MS,
  });
  metrics.watchPriceCatalogue(catalogue);
  return catalogue;
}
