// The job services and the order they depend on each other: settlement and recording first,
// then refreshing, polling and submission on top, and background settlement using them all.
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createBackgroundSettlement } from './background-settlement.js';
import type { Clock } from './clock.js';
import { createJobListing } from './job-listing.js';
import { createJobPolling, FRESH_STATE_WAIT_MS } from './job-polling.js';
import { createJobRecording } from './job-recording.js';
import { createJobRefresh } from './job-refresh.js';
import { createJobReservation } from './job-reservation.js';
import { createJobSettlement } from './job-settlement.js';
import { createJobSubmission } from './job-submission.js';
import type { Metrics } from './metrics.js';
import type { PriceSource } from './prices.js';
import type { Store } from './store/store.js';
import type { UpstreamPause } from './upstream-pause.js';
import type { UpstreamClient } from './upstream.js';
import type { Webhooks } from './webhooks.js';

export interface JobServiceDeps {
  config: Config;
  prices: PriceSource;
  store: Store;
  upstream: UpstreamClient;
  webhooks: Webhooks;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  pause: UpstreamPause;
}

export function createJobServices({
  config,
  prices,
  store,
  upstream,
  webhooks,
  clock,
  logger,
  metrics,
  pause,
}: JobServiceDeps) {
  const settlement = createJobSettlement({ store, clock, logger, metrics });
  const recording = createJobRecording({ store, logger, metrics });
  const refresher = createJobRefresh({ store, upstream, settlement, pause, clock, logger });
  const pollLockMs = Math.min(config.UPSTREAM_TIMEOUT_MS, 5_000);
  const freshWaitMs = Math.min(config.UPSTREAM_TIMEOUT_MS, FRESH_STATE_WAIT_MS);
  const polling = createJobPolling({ store, refresher, recording, pause, clock, pollLockMs, freshWaitMs, logger });
  const reservationLeaseMs = config.reservationLeaseMs;
  const alertThresholds = config.alertThresholds;
  const reservation = createJobReservation({ store, clock, reservationLeaseMs, logger, metrics, alertThresholds });
  const submissions = createJobSubmission({
    store,
    upstream,
    prices,
    enabledModels: new Set(config.operatorPricing.enabledModels),
    clock,
    reservationLeaseMs,
    maxQueueMs: config.UPSTREAM_TIMEOUT_MS,
    webhooks,
    reservation,
    settlement,
    recording,
    pause,
    logger,
    metrics,
  });
  const backgroundSettlement = createBackgroundSettlement({
    store,
    refresher,
    settlement,
    clock,
    intervalMs: config.RECONCILE_INTERVAL_MS,
    logger,
  });
  return {
    submissions,
    polling,
    settlement,
    reservation,
    listing: createJobListing(store, polling),
    recording,
    backgroundSettlement,
    /** Starts settling what nobody polls and retrying jobs the store could not record. */
    start(): void {
      backgroundSettlement.start();
      recording.start();
    },
    /** Waits for background refreshes, then tries once more to record accepted jobs. */
    async close(): Promise<void> {
      await refresher.close();
      await recording.close();
    },
  };
}
