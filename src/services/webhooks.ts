// The webhook relay. A caller's webhookUrl is never handed to Apiframe: Apiframe calls the
// gateway instead (PUBLIC_BASE_URL), the gateway checks Apiframe's signature (HMAC-SHA256 of
// the raw body, keyed with SHA-256 of the real key), settles the job at once, and queues the
// event for the caller, signed the same way but keyed with SHA-256 of the caller's team key, so
// Apiframe's own verification code works unchanged with the team key. Deliveries run in the
// background from a Redis queue, retry with backoff, and connect only to public addresses.
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import pLimit from 'p-limit';
import { Agent, request } from 'undici';
import { errors, invalidInput } from '../errors.js';
import { createBackgroundPass } from './background-pass.js';
import type { Clock } from './clock.js';
import type { Logger } from './job-gateway.js';
import type { Metrics } from './metrics.js';
import type { CallerWebhook, JobRecord, Store, WebhookDelivery } from './store/types.js';
import { checkWebhookTarget, type Resolver, type TargetPolicy } from './webhook-target.js';

/** Waits before each retry: 10 s, 1 min, 5 min, 30 min, 2 h; then the delivery has failed. */
const RETRY_DELAYS_MS = [10_000, 60_000, 300_000, 1_800_000, 7_200_000];
const DELIVERY_TIMEOUT_MS = 10_000;
const CLAIM_LEASE_MS = 30_000;
const BATCH = 50;

export interface WebhookDeps {
  store: Store;
  upstreamApiKey: string;
  publicBaseUrl: string | undefined;
  policy: TargetPolicy;
  resolver: Resolver;
  clock: Clock;
  metrics: Pick<Metrics, 'webhookDelivery'>;
  logger: Logger;
}

/** `sha256=<hex HMAC-SHA256(key, body)>`, Apiframe's X-Webhook-Signature. */
export function webhookSignature(key: Buffer, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

export function createWebhooks(deps: WebhookDeps) {
  const { store, policy, clock, logger, metrics } = deps;
  const upstreamKey = createHash('sha256').update(deps.upstreamApiKey).digest();
  const base = deps.publicBaseUrl?.replace(/\/$/, '');
  const limit = pLimit(8);

  // Connections re-check every resolved address, so a name cannot be re-pointed at a private
  // address between the check and the delivery.
  const agent = new Agent({
    connect: {
      lookup: (hostname, options, callback) =>
        dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
          if (error) return callback(error, '', 0);
          const refused = !policy.allowedHosts.includes(hostname) && addresses.find((a) => ipaddr.process(a.address).range() !== 'unicast');
          if (refused) return callback(new Error(`refused to connect to ${refused.address}`), '', 0);
          if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
          return callback(null, addresses[0]!.address, addresses[0]!.family);
        }),
    },
    headersTimeout: DELIVERY_TIMEOUT_MS,
    bodyTimeout: DELIVERY_TIMEOUT_MS,
  });

  async function attempt(delivery: WebhookDelivery): Promise<'delivered' | 'retry' | 'failed'> {
    const key = await store.getKey(delivery.keyId);
    if (!key) return 'failed';
    const target = await checkWebhookTarget(delivery.url, policy, deps.resolver);
    if (!target.ok) return 'failed';
    try {
      const response = await request(delivery.url, {
        method: 'POST',
        dispatcher: agent,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'apiframe-gateway/0.1 (webhook relay)',
          'x-webhook-event': delivery.event,
          'x-webhook-signature': webhookSignature(Buffer.from(key.hash, 'hex'), delivery.body),
        },
        body: delivery.body,
      });
      await response.body.dump();
      return response.statusCode >= 200 && response.statusCode < 300 ? 'delivered' : 'retry';
    } catch {
      return 'retry';
    }
  }

  async function deliver(delivery: WebhookDelivery): Promise<void> {
    const result = await attempt(delivery);
    const attempts = delivery.attempts + 1;
    const delay = RETRY_DELAYS_MS[attempts - 1];
    const outcome = result === 'retry' && delay === undefined ? 'failed' : result;
    metrics.webhookDelivery(outcome);
    await store.recordDelivery(
      { ...delivery, attempts },
      outcome === 'retry' ? { state: 'retry', at: clock() + delay! } : { state: outcome },
    );
  }

  /** One pass over every team's due deliveries; returns how many were attempted. */
  async function deliverDue(): Promise<number> {
    let attempted = 0;
    for (const team of await store.teams()) {
      const due = await store.claimDueDeliveries(team, clock(), CLAIM_LEASE_MS, BATCH);
      await Promise.all(due.map((delivery) => limit(() => deliver(delivery))));
      attempted += due.length;
    }
    return attempted;
  }

  const background = createBackgroundPass(deliverDue, logger, 'webhook delivery pass failed');

  return {
    enabled: base !== undefined,

    relayUrl: (team: string) => `${base}/webhooks/apiframe/${encodeURIComponent(team)}`,

    /** Refuses a caller's webhookUrl that the gateway must not deliver to (a 400 at submit time). */
    async checkCallerUrl(url: string): Promise<void> {
      if (!base) throw new errors.WebhooksDisabled();
      const check = await checkWebhookTarget(url, policy, deps.resolver);
      if (!check.ok) throw invalidInput({ webhookUrl: [check.reason] });
    },

    /** True when `signature` is Apiframe's for this exact body. */
    verify(body: Buffer, signature: string | undefined): boolean {
      if (!signature) return false;
      const expected = Buffer.from(webhookSignature(upstreamKey, body));
      const given = Buffer.from(signature);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },

    /** Queues an event for the caller who asked for it, and sends it soon, off the request path. */
    async relay(job: JobRecord, webhook: CallerWebhook, event: string, body: string): Promise<void> {
      if (webhook.events.length > 0 && !webhook.events.includes(event)) return;
      const delivery = { id: randomUUID(), team: job.team, jobId: job.jobId, keyId: job.keyId, url: webhook.url, event, body, attempts: 0 };
      await store.enqueueDelivery(delivery, clock());
      background.kick();
    },

    deliverDue,

    start: background.start,

    async stop(): Promise<void> {
      await background.stop();
      await agent.close();
    },
  };
}

export type Webhooks = ReturnType<typeof createWebhooks>;
