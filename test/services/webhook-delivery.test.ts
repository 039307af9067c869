// Webhook deliveries against receivers that misbehave, over real loopback HTTP, on the memory
// store (the edge test runs the same relay on Redis): a receiver that trickles its answer or
// never answers is given up at the attempt's deadline, and delays no other receiver or team.
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeyAdmin } from '../../src/services/key-admin.js';
import { createMetrics } from '../../src/services/metrics.js';
import { createMemoryStore } from '../../src/services/store/memory-store.js';
import type { Store } from '../../src/services/store/store.js';
import { systemResolver } from '../../src/services/webhook-target.js';
import { createWebhooks } from '../../src/services/webhooks.js';

const logger = { warn: () => undefined, error: () => undefined };
const TRICKLE_EVERY_MS = 200;

/** A loopback receiver; its connections are destroyed when the test ends. */
interface Receiver {
  url: string;
  /** Requests that reached the receiver. */
  requests: number;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen<T extends Omit<Receiver, 'url'>>(
  server: Server | ReturnType<typeof createTcpServer>,
  receiver: T,
): Promise<T & Receiver> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    const open = [...sockets];
    sockets.clear();
    for (const socket of open) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return Object.assign(receiver, { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook` });
}

/** Answers 204 at once. */
function promptReceiver(): Promise<Receiver> {
  const receiver = { requests: 0 };
  const server = createHttpServer((request, response) => {
    receiver.requests++;
    request.resume().on('end', () => response.writeHead(204).end());
  });
  return listen(server, receiver);
}

/** Reads the request and never answers. */
function silentReceiver(): Promise<Receiver> {
  const receiver = { requests: 0 };
  const server = createHttpServer((request) => {
    receiver.requests++;
    request.resume();
  });
  return listen(server, receiver);
}

/** Holds the first `hold` requests unanswered until `release()` drops them; answers the rest 500. */
function holdingReceiver(hold: number) {
  const held = new Set<ServerResponse>();
  const receiver = {
    requests: 0,
    release: () => {
      for (const response of held) response.socket?.destroy();
    },
  };
  const server = createHttpServer((request, response) => {
    receiver.requests++;
    request.resume();
    if (receiver.requests <= hold) held.add(response);
    else response.writeHead(500).end();
  });
  return listen(server, receiver);
}

/**
 * Sends a byte of the response head, or of a 200's body, every TRICKLE_EVERY_MS, never ending;
 * counts the requests whose connection the gateway closed.
 */
function tricklingReceiver(part: 'head' | 'body') {
  const receiver = { requests: 0, closedByGateway: 0, bytesSent: 0 };
  const server = createTcpServer((socket) => {
    socket.once('data', () => {
      receiver.requests++;
      socket.write(
        part === 'head' ? 'HTTP/1.1 200 OK\r\nX-Slow: ' : 'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n',
      );
      const timer = setInterval(() => {
        receiver.bytesSent++;
        socket.write('.');
      }, TRICKLE_EVERY_MS);
      socket.on('close', () => {
        clearInterval(timer);
        receiver.closedByGateway++;
      });
      socket.on('error', () => clearInterval(timer));
    });
  });
  return listen(server, receiver);
}

interface RelayOptions {
  deliveryDeadlineMs?: number;
  redisTimeoutMs?: number;
  /** Another instance's store, to share its queue. */
  store?: Store;
  clock?: () => number;
}

async function relayFixture({
  store = createMemoryStore({ ledgerRetentionMs: 86_400_000 }),
  ...options
}: RelayOptions = {}) {
  const metrics = createMetrics();
  const webhooks = createWebhooks({
    store,
    upstreamApiKey: 'afk_upstream_for_this_test',
    publicBaseUrl: 'http://127.0.0.1:1',
    policy: { allowHttp: true, allowedHosts: ['127.0.0.1'] },
    resolver: systemResolver,
    clock: () => Date.now(),
    metrics,
    logger,
    redisTimeoutMs: 2_000,
    ...options,
  });
  cleanups.push(() => webhooks.stop());
  const keys = createKeyAdmin(store, () => Date.now(), ['seedream-4']);
  const actor = { name: 'admin-token', requestId: 'test' };
  const outcomes = async () => {
    const counted = await metrics.registry.getSingleMetric('apiframe_gateway_webhook_deliveries_total')!.get();
    return Object.fromEntries(counted.values.map((value) => [value.labels.outcome, value.value]));
  };
  return {
    store,
    webhooks,
    outcomes,
    async teamKey() {
      return keys.create({ name: 'hooks', team: `team-${randomUUID().slice(0, 8)}` }, actor);
    },
    async enqueue(key: { id: string; team: string }, url: string): Promise<string> {
      const delivery = {
        id: randomUUID(),
        team: key.team,
        jobId: randomUUID(),
        keyId: key.id,
        url,
        event: 'completed',
        body: '{"event":"completed"}',
        attempts: 0,
      };
      await store.enqueueDelivery(delivery, Date.now());
      return delivery.id;
    },
  };
}

describe('a webhook delivery', () => {
  it('is given up at its deadline overall while the receiver trickles its response head', async () => {
    const relay = await relayFixture({ deliveryDeadlineMs: 1_000 });
    const trickler = await tricklingReceiver('head');
    await relay.enqueue(await relay.teamKey(), trickler.url);
    relay.webhooks.start(50);
    // A timer restarted by every byte would never fire: the receiver sends one five times a second.
    await expect.poll(() => trickler.closedByGateway, { timeout: 5_000 }).toBe(1);
    expect(trickler.bytesSent).toBeGreaterThanOrEqual(2);
    await expect.poll(relay.outcomes).toEqual({ retry: 1 });
  });

  it('counts once the status arrives, and drops the body instead of reading it', async () => {
    const relay = await relayFixture();
    const trickler = await tricklingReceiver('body');
    await relay.enqueue(await relay.teamKey(), trickler.url);
    relay.webhooks.start(50);
    await expect.poll(relay.outcomes, { timeout: 5_000 }).toEqual({ delivered: 1 });
    await expect.poll(() => trickler.closedByGateway).toBe(1);
  });
});

describe("a delivery's claim", () => {
  it('outlasts the wait for a slot, the attempt and the Redis command that records it, with room for skew', async () => {
    const relay = await relayFixture({ deliveryDeadlineMs: 30_000, redisTimeoutMs: 20_000 });
    const silent = await silentReceiver();
    const key = await relay.teamKey();
    await relay.enqueue(key, silent.url);
    const claimedBefore = Date.now();
    relay.webhooks.start(50);
    await expect.poll(() => silent.requests).toBe(1);
    // 45 s for a slot, 30 s for the attempt, 20 s for Redis, 5 s of skew: nobody else may claim it before.
    const claimable = (at: number) => relay.store.claimDueDeliveries(key.team, at, 60_000, 10);
    expect(await claimable(claimedBefore + 45_000 + 30_000 + 20_000 + 5_000 - 1)).toEqual([]);
    expect(await claimable(Date.now() + 45_000 + 30_000 + 20_000 + 5_000 + 1)).toHaveLength(1);
  });
});

describe('a delivery claimed again while it waited for a slot', () => {
  it('counts its attempts on from those another instance made meanwhile', async () => {
    let ahead = 0;
    const first = await relayFixture({ deliveryDeadlineMs: 60_000, clock: () => Date.now() + ahead });
    // The second instance runs once the first one's claims have run out.
    const second = await relayFixture({ store: first.store, clock: () => Date.now() + 200_000 });
    const receiver = await holdingReceiver(4);
    const key = await first.teamKey();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await first.enqueue(key, receiver.url));
    first.webhooks.start(50);
    await expect.poll(() => receiver.requests).toBe(4);

    second.webhooks.start(50);
    // Due again 10 s later by its clock: it sends nothing more while this test runs.
    await expect.poll(second.outcomes).toEqual({ retry: 5 });
    // Its retries are due: the first instance claims them again, the fifth still waiting for a slot.
    ahead = 300_000;
    await new Promise((resolve) => setTimeout(resolve, 300));
    receiver.release();
    await expect.poll(first.outcomes).toEqual({ retry: 5 });

    const queued = await first.store.claimDueDeliveries(key.team, Date.now() + 86_400_000, 1_000, 10);
    expect(queued.find((delivery) => delivery.id === ids[4])!.attempts).toBe(2);
  });
});

describe('a receiver that never answers', () => {
  it('delays neither another team nor another receiver of its own team, and holds only its own slots', async () => {
    const relay = await relayFixture({ deliveryDeadlineMs: 60_000 });
    const silent = await silentReceiver();
    const [teamA, teamB] = [await relay.teamKey(), await relay.teamKey()];
    for (let i = 0; i < 10; i++) await relay.enqueue(teamA, silent.url);
    relay.webhooks.start(50);
    await expect.poll(() => silent.requests).toBe(4);

    const [forB, forA] = [await promptReceiver(), await promptReceiver()];
    await relay.enqueue(teamB, forB.url);
    await relay.enqueue(teamA, forA.url);
    // Both arrive at once; the silent receiver would hold its deliveries for a minute.
    await expect.poll(() => forB.requests + forA.requests, { timeout: 5_000 }).toBe(2);
    expect(silent.requests).toBe(4);
  });
});
