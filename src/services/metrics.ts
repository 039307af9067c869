// Prometheus metrics (prom-client), each app with a registry of its own. Labels are route
// patterns, teams, models (with their modality), operations and statuses: never a key, a job id
// or a secret.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { modalityOf } from '../schemas/modalities.js';

export type CreditKind = 'reserved' | 'released' | 'settled' | 'refunded' | 'overrun';

const PREFIX = 'apiframe_gateway_';
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type Registers = Registry[];

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: PREFIX });
  const registers = [registry];
  return {
    registry,
    ...httpMetrics(registers),
    ...creditMetrics(registers),
    ...outboundMetrics(registers),
    ...alertMetrics(registers),
  };
}

/** Budget alerts raised, and their deliveries to the teams' alert targets. */
function alertMetrics(registers: Registers) {
  const fired = new Counter({
    name: `${PREFIX}alerts_fired_total`,
    help: 'Budget alerts raised, by kind (threshold, overrun) and team.',
    labelNames: ['kind', 'team'] as const,
    registers,
  });
  const deliveries = new Counter({
    name: `${PREFIX}alert_deliveries_total`,
    help: 'Alert delivery attempts to the teams’ alert targets, by outcome (delivered, retry, failed).',
    labelNames: ['outcome'] as const,
    registers,
  });
  return {
    alertFired(kind: 'threshold' | 'overrun', team: string): void {
      fired.inc({ kind, team });
    },
    alertDelivery(outcome: 'delivered' | 'retry' | 'failed'): void {
      deliveries.inc({ outcome });
    },
  };
}

/** The gateway's own answers. */
function httpMetrics(registers: Registers) {
  const requests = new Counter({
    name: `${PREFIX}http_requests_total`,
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const requestDuration = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: 'Time to answer HTTP requests, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const inFlight = new Gauge({
    name: `${PREFIX}http_requests_in_flight`,
    help: 'Requests being handled now.',
    registers,
  });
  return {
    request(method: string, route: string, status: number, seconds: number): void {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      requestDuration.observe(labels, seconds);
    },
    inFlight,
  };
}

/** Credits as they move, and the jobs whose credits are not settled yet. */
function creditMetrics(registers: Registers) {
  const credits = new Counter({
    name: `${PREFIX}credits_total`,
    help: 'Credits moved: reserved before forwarding, released when nothing was created, settled when a job completed, refunded when it failed, overrun when a job cost more than its reservation covered.',
    labelNames: ['kind', 'team', 'model'] as const,
    registers,
  });
  // A series of its own rather than a label on credits_total, whose series dashboards and alerts
  // already name by their labels: adding one would change every one of them.
  const byModality = new Counter({
    name: `${PREFIX}modality_credits_total`,
    help:
      'Credits moved, as credits_total, by kind, team and modality ' +
      '(image, video, music; other: a model the spec no longer lists).',
    labelNames: ['kind', 'team', 'modality'] as const,
    registers,
  });
  return {
    credits(kind: CreditKind, team: string, model: string, amount: number): void {
      if (amount <= 0) return;
      credits.inc({ kind, team, model }, amount);
      byModality.inc({ kind, team, modality: modalityOf(model) }, amount);
    },
    /** Reports the age of the catalogue prices are read from, and the entries of it not understood. */
    watchPriceCatalogue(catalogue: { ageSeconds(): number; skippedEntries(): number }): void {
      new Gauge({
        name: `${PREFIX}price_catalogue_age_seconds`,
        help: "Seconds since Apiframe's model catalogue in use was read (+Inf while none is known).",
        registers,
        collect() {
          this.set(catalogue.ageSeconds());
        },
      });
      new Gauge({
        name: `${PREFIX}price_catalogue_skipped_entries`,
        help: "Entries of Apiframe's model catalogue in use that the gateway could not read, so does not price.",
        registers,
        collect() {
          this.set(catalogue.skippedEntries());
        },
      });
    },
    /**
     * Reports unsettled jobs, counted by `count` at every scrape. Given once the store exists: the
     * store is opened after the metrics, to which it reports its errors.
     */
    countPendingJobsWith(count: () => Promise<number>): void {
      new Gauge({
        name: `${PREFIX}pending_jobs`,
        help: 'Jobs accepted by Apiframe and not yet settled.',
        registers,
        async collect() {
          this.set(await count());
        },
      });
    },
  };
}

/** What the gateway asks of others: Apiframe, Redis and the callers' webhook receivers. */
function outboundMetrics(registers: Registers) {
  const upstreamDuration = new Histogram({
    name: `${PREFIX}upstream_request_duration_seconds`,
    help: 'Time Apiframe took to answer, by operation and HTTP status (or timeout / unreachable).',
    labelNames: ['operation', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const upstreamErrors = new Counter({
    name: `${PREFIX}upstream_errors_total`,
    help: 'Apiframe answers that were not successes, by operation and status (or timeout / unreachable).',
    labelNames: ['operation', 'status'] as const,
    registers,
  });
  const storeErrors = new Counter({
    name: `${PREFIX}redis_errors_total`,
    help: 'Redis commands that failed or timed out, and connection errors.',
    registers,
  });
  const replays = new Counter({
    name: `${PREFIX}submission_replays_total`,
    help: 'Submissions whose answer was lost, sent again with their Idempotency-Key, by outcome (found: the job Apiframe made; failed: every replay failed too).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const webhookDeliveries = new Counter({
    name: `${PREFIX}webhook_deliveries_total`,
    help: 'Webhook delivery attempts to callers, by outcome (delivered, retry, failed).',
    labelNames: ['outcome'] as const,
    registers,
  });
  return {
    upstream(operation: string, status: number | 'timeout' | 'unreachable' | 'busy', seconds: number): void {
      const labels = { operation, status: String(status) };
      upstreamDuration.observe(labels, seconds);
      if (typeof status !== 'number' || status >= 400) upstreamErrors.inc(labels);
    },
    storeError(): void {
      storeErrors.inc();
    },
    submissionReplay(outcome: 'found' | 'failed'): void {
      replays.inc({ outcome });
    },
    webhookDelivery(outcome: 'delivered' | 'retry' | 'failed'): void {
      webhookDeliveries.inc({ outcome });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
