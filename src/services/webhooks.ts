// The webhook relay. A caller's webhookUrl is never handed to Apiframe: Apiframe calls the
// gateway instead (PUBLIC_BASE_URL), the gateway checks Apiframe's signature (HMAC-SHA256 of
// the raw body, keyed with SHA-256 of the real key), settles the job at once, and queues the
// event for the caller, signed the same way but keyed with SHA-256 of the caller's team key, so
// Apiframe's own verification code works unchanged with the team key. Deliveries run in the
// background from a Redis queue, retry with backoff, and connect only to public addresses; each
// attempt has 10 s overall, and attempts run side by side with slots per team and receiver, so
// a slow receiver delays nobody else's deliveries. Budget alerts travel the same way to the
// team's alert targets (./alert-messages.ts), with the same retries and guard.
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { type Agent, request } from 'undici';
import { errors, invalidInput } from '../errors.js';
import { ALERT_EVENT, alertMessage } from './alert-messages.js';
import { createBackgroundPass } from './background-pass.js';
import { createDeliveryScheduler } from './delivery-scheduler.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { WebhookDelivery } from '../domain/deliveries.js';
import type { CallerWebhook, JobRecord } from '../domain/jobs.js';
import type { Store } from './store/store.js';
import { checkWebhookTarget, createGuardedAgent, type Resolver, type TargetPolicy } from './webhook-target.js';

/** Waits before each retry: 10 s, 1 min, 5 min, 30 min, 2 h; then the delivery has failed. */
const RETRY_DELAYS_MS = [10_000, 60_000, 300_000, 1_800_000, 7_200_000];
/** One attempt, from checking the receiver's address to its response headers, ends by then. */
const DELIVERY_DEADLINE_MS = 10_000;
/** How long a claimed delivery may wait for a slot before it is left for a later claim. */
const SLOT_WAIT_MS = 45_000;
/** Clock skew between instances allowed for, beyond the Redis command that records an attempt. */
const CLOCK_SKEW_MS = 5_000;
/** Deliveries one team may have claimed and not finished in this instance. */
const TEAM_BACKLOG = 50;
const LIMITS = { total: 32, perTeam: 8, perReceiver: 4, receiverBacklog: 8 };

export interface WebhookDeps {
  store: Store;
  upstreamApiKey: string;
  publicBaseUrl: string | undefined;
  policy: TargetPolicy;
  resolver: Resolver;
  clock: Clock;
  metrics: Pick<Metrics, 'webhookDelivery' | 'alertDelivery'>;
  logger: Logger;
  /** Time allowed for one Redis command (REDIS_TIMEOUT_MS): recording an attempt's outcome takes one. */
  redisTimeoutMs: number;
  /** Overrides the 10 s deadline of one attempt (tests). */
  deliveryDeadlineMs?: number;
}

/** `sha256=<hex HMAC-SHA256(key, body)>`, Apiframe's X-Webhook-Signature. */
export function webhookSignature(key: Buffer, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

/** Settles as `work` does, or rejects once `signal` aborts (a name that takes long to resolve). */
function beforeAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  const aborted = new Promise<never>((_resolve, reject) =>
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }),
  );
  return Promise.race([work, aborted]);
}

/** The receiver a delivery goes to, so that each has slots of its own. */
function receiverOf(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : url;
}

/** What sending and recording one delivery needs besides the delivery. */
interface DeliveryContext extends Pick<WebhookDeps, 'store' | 'policy' | 'resolver' | 'clock' | 'metrics'> {
  agent: Agent;
  deadlineMs: number;
}

/** What one attempt sends where: a relayed event signed with its key's hash, or an alert in its target's format. */
async function outgoing(delivery: WebhookDelivery, store: Store) {
  if (delivery.alert) {
    const target = await store.alertTarget(delivery.team, delivery.alert.targetId);
    return target && { ...alertMessage(delivery.alert.record, target), event: ALERT_EVENT };
  }
  const key = await store.getKey(delivery.keyId);
  if (!key) return null;
  const { url, event, body } = delivery;
  return { url, event, body, signingKey: Buffer.from(key.hash, 'hex') };
}

// Only the status matters: the body is destroyed, not read, so a receiver cannot hold the
// delivery by trickling it, and the deadline covers everything before it.
async function attempt(
  delivery: WebhookDelivery,
  { store, policy, resolver, agent, deadlineMs }: DeliveryContext,
): Promise<'delivered' | 'retry' | 'failed'> {
  const signal = AbortSignal.timeout(deadlineMs);
  const message = await outgoing(delivery, store);
  if (!message) return 'failed';
  try {
    const target = await beforeAbort(checkWebhookTarget(message.url, policy, resolver), signal);
    if (!target.ok) return 'failed';
    const response = await request(message.url, {
      method: 'POST',
      dispatcher: agent,
      signal,
      headers: {
        'content-type': 'application/json',
        'user-agent': `apiframe-gateway/0.1 (${delivery.alert ? 'budget alert' : 'webhook relay'})`,
        'x-webhook-event': message.event,
        ...(message.signingKey && { 'x-webhook-signature': webhookSignature(message.signingKey, message.body) }),
      },
      body: message.body,
    });
    // Destroying an unfinished body reports it aborted, which is what was meant.
    response.body.on('error', () => undefined).destroy();
    return response.statusCode >= 200 && response.statusCode < 300 ? 'delivered' : 'retry';
  } catch {
    return 'retry';
  }
}

/** One attempt, counted and recorded: delivered, due again after its backoff, or failed for good. */
async function deliver(delivery: WebhookDelivery, context: DeliveryContext): Promise<void> {
  const result = await attempt(delivery, context);
  const attempts = delivery.attempts + 1;
  const delay = RETRY_DELAYS_MS[attempts - 1];
  const outcome = result === 'retry' && delay === undefined ? 'failed' : result;
  if (delivery.alert) context.metrics.alertDelivery(outcome);
  else context.metrics.webhookDelivery(outcome);
  await context.store.recordDelivery(
    { ...delivery, attempts },
    outcome === 'retry' ? { state: 'retry', at: context.clock() + delay! } : { state: outcome },
  );
}

/** Sends queued deliveries in the background: claims the due ones, runs them in slots, records each outcome. */
function createDeliveryWorker(deps: WebhookDeps) {
  const { store, policy, clock, logger, metrics } = deps;
  const deadlineMs = deps.deliveryDeadlineMs ?? DELIVERY_DEADLINE_MS;
  // No other instance claims a delivery while this one may still send it or record how it went
  // (62 s by default).
  const claimLeaseMs = SLOT_WAIT_MS + deadlineMs + deps.redisTimeoutMs + CLOCK_SKEW_MS;
  const agent = createGuardedAgent(policy);
  const context: DeliveryContext = { store, policy, resolver: deps.resolver, clock, metrics, agent, deadlineMs };
  const scheduler = createDeliveryScheduler(LIMITS);
  /** Claimed deliveries not yet finished, by id: as last claimed, and when that lease began. */
  const claimed = new Map<string, { delivery: WebhookDelivery; claimedAt: number }>();

  // A delivery that waited too long for a slot is left to its lease: it becomes due again and
  // is claimed afresh, rather than sent so late that another instance might send it as well.
  // A delivery claimed again while it waited is sent as last claimed: another instance may have
  // tried it meanwhile, and its attempts count on from there.
  async function deliverWithinLease(id: string): Promise<void> {
    try {
      const { delivery, claimedAt } = claimed.get(id)!;
      if (clock() <= claimedAt + SLOT_WAIT_MS) await deliver(delivery, context);
    } catch (error) {
      logger.warn({ err: error }, 'webhook delivery failed');
    } finally {
      claimed.delete(id);
    }
  }

  function dispatch(delivery: WebhookDelivery, claimedAt: number): void {
    const held = claimed.has(delivery.id);
    claimed.set(delivery.id, { delivery, claimedAt });
    if (held) return;
    const taken = scheduler.offer({
      team: delivery.team,
      receiver: receiverOf(delivery.url),
      run: () => deliverWithinLease(delivery.id),
    });
    if (!taken) claimed.delete(delivery.id);
  }

  /**
   * Claims every team's due deliveries and hands them to the scheduler without waiting for
   * them, so a slow delivery holds up neither the next team nor the next pass; returns how many
   * were claimed.
   */
  async function deliverDue(): Promise<number> {
    const claims = await Promise.all(
      (await store.teams()).map(async (team) => {
        const room = TEAM_BACKLOG - scheduler.heldFor(team);
        if (room <= 0) return 0;
        const now = clock();
        const due = await store.claimDueDeliveries(team, now, claimLeaseMs, room);
        for (const delivery of due) dispatch(delivery, now);
        return due.length;
      }),
    );
    return claims.reduce((sum, count) => sum + count, 0);
  }

  const background = createBackgroundPass(deliverDue, logger, 'webhook delivery pass failed');

  return {
    kick: background.kick,
    start: background.start,
    async stop(): Promise<void> {
      await background.stop();
      await scheduler.close();
      await agent.close();
    },
  };
}

export function createWebhooks(deps: WebhookDeps) {
  const { store, policy, clock } = deps;
  const upstreamKey = createHash('sha256').update(deps.upstreamApiKey).digest();
  const base = deps.publicBaseUrl?.replace(/\/$/, '');
  const worker = createDeliveryWorker(deps);

  /** The SSRF guard's refusal of `url` as a 400 naming the body's `field`. */
  async function refuseUnsafe(url: string, field: string): Promise<void> {
    const check = await checkWebhookTarget(url, policy, deps.resolver);
    if (!check.ok) throw invalidInput({ [field]: [check.reason] });
  }

  return {
    relayUrl: (team: string) => `${base}/webhooks/apiframe/${encodeURIComponent(team)}`,

    /** Refuses a caller's webhookUrl that the gateway must not deliver to (a 400 at submit time). */
    async checkCallerUrl(url: string): Promise<void> {
      if (!base) throw new errors.WebhooksDisabled();
      await refuseUnsafe(url, 'webhookUrl');
    },

    /** Refuses an alert target the delivery agent must not connect to (the same guard, a 400). */
    checkAlertTarget: (url: string) => refuseUnsafe(url, 'url'),

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
      const delivery = {
        id: randomUUID(),
        team: job.team,
        jobId: job.jobId,
        keyId: job.keyId,
        url: webhook.url,
        event,
        body,
        attempts: 0,
      };
      await store.enqueueDelivery(delivery, clock());
      worker.kick();
    },

    /** Looks for due deliveries now (alerts just raised). */
    kick: worker.kick,
    start: worker.start,
    stop: worker.stop,
  };
}

export type Webhooks = ReturnType<typeof createWebhooks>;
