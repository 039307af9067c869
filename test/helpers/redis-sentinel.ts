// A Sentinel deployment on free loopback ports: a primary and its replica (the replicated
// Redis helper) watched by three sentinels (quorum 2, a node is down after 1 s), and the
// controls the failover tests need: kill the primary, wait for the promotion, kill and start
// sentinels.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startReplicatedRedis, type ReplicatedRedis } from './redis-replicated.js';
import { freePort, type RedisServer } from './redis-server.js';

export const SENTINEL_MASTER = 'mymaster';

export interface RedisSentinel {
  /** `host:port` of each sentinel, comma-separated, as REDIS_SENTINELS takes them. */
  sentinels: string;
  /** The data nodes (the primary and its replicas as started). */
  replicated: ReplicatedRedis;
  /** The port of the node the sentinels name as primary now. */
  primaryPort(): Promise<number>;
  /** The current primary drops its replicas' links (a replica frozen first cannot come back on its own). */
  dropReplicaLinks(): Promise<void>;
  /** SIGKILLs the current primary; its port. */
  killPrimary(): Promise<number>;
  /** Waits until the sentinels name a primary other than `formerPort` and it accepts writes; its port. */
  waitForPromotion(formerPort: number, timeoutMs?: number): Promise<number>;
  killSentinel(index: number): Promise<void>;
  startSentinel(index: number): Promise<void>;
  destroy(): Promise<void>;
}

export interface RedisSentinelOptions {
  /** Replicas of the primary (1 by default). */
  replicas?: number;
  /** How long the primary may be unreachable before the sentinels call it down (1000 ms by default). */
  downAfterMs?: number;
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Runs `ask` on a short-lived connection to the node on `port`, failing fast when it is down. */
async function onNode<T>(port: number, ask: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await ask(client);
  } finally {
    client.disconnect();
  }
}

const isRunning = (child: ChildProcess | undefined) => !!child && child.exitCode === null && child.signalCode === null;

function sentinelConfig(port: number, primaryPort: number, downAfterMs: number): string {
  return [
    `port ${port}`,
    'bind 127.0.0.1',
    `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${primaryPort} 2`,
    `sentinel down-after-milliseconds ${SENTINEL_MASTER} ${downAfterMs}`,
    `sentinel failover-timeout ${SENTINEL_MASTER} 3000`,
    `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
    '',
  ].join('\n');
}

export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<RedisSentinel> {
  const replicated = await startReplicatedRedis({ replicas: options.replicas ?? 1 });
  const dir = mkdtempSync(join(tmpdir(), 'gw-sentinel-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const children: (ChildProcess | undefined)[] = [];
  // Each sentinel rewrites its own file with what it learns, so each has one; written once, kept on restarts.
  const files = ports.map((port) => {
    const file = join(dir, `sentinel-${port}.conf`);
    writeFileSync(file, sentinelConfig(port, replicated.primary.port, options.downAfterMs ?? 1000));
    return file;
  });
  const dataNodes = new Map<number, RedisServer>(
    [replicated.primary, ...replicated.replicas].map((node) => [node.port, node]),
  );

  async function startSentinel(index: number): Promise<void> {
    children[index] = spawn('redis-server', [files[index]!, '--sentinel'], { stdio: 'ignore' });
    await waitUntil(async () => (await onNode(ports[index]!, (client) => client.ping())) === 'PONG', 'a sentinel');
  }
  async function killSentinel(index: number): Promise<void> {
    const child = children[index];
    if (!child || !isRunning(child)) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
  /** What a running sentinel answers, trying each in turn. */
  async function askSentinels<T>(ask: (client: Redis) => Promise<T>): Promise<T> {
    let failure: unknown = new Error('no sentinel is running');
    for (const [index, port] of ports.entries()) {
      if (!isRunning(children[index])) continue;
      try {
        return await onNode(port, ask);
      } catch (error) {
        failure = error;
      }
    }
    throw failure;
  }
  async function primaryPort(): Promise<number> {
    const address = (await askSentinels((client) =>
      client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER),
    )) as [string, string];
    return Number(address[1]);
  }
  const writable = async (port: number) =>
    (await onNode(port, (client) => client.info('replication'))).includes('role:master');

  for (const index of ports.keys()) await startSentinel(index);
  // A failover needs the sentinels to know each other (for the quorum) and the replica (to promote).
  await waitUntil(async () => {
    const replicas = (await askSentinels((client) =>
      client.call('SENTINEL', 'REPLICAS', SENTINEL_MASTER),
    )) as unknown[];
    const quorum = await askSentinels((client) => client.call('SENTINEL', 'CKQUORUM', SENTINEL_MASTER));
    return replicas.length === replicated.replicas.length && String(quorum).startsWith('OK 3 usable');
  }, 'the sentinels to find each other and the replicas');

  return {
    sentinels: ports.map((port) => `127.0.0.1:${port}`).join(','),
    replicated,
    primaryPort,
    async dropReplicaLinks() {
      await onNode(await primaryPort(), (client) => client.client('KILL', 'TYPE', 'replica'));
    },
    async killPrimary() {
      const port = await primaryPort();
      await dataNodes.get(port)!.stop();
      return port;
    },
    async waitForPromotion(formerPort, timeoutMs = 20_000) {
      let port = formerPort;
      await waitUntil(
        async () => {
          port = await primaryPort();
          return port !== formerPort && (await writable(port));
        },
        'a replica to be promoted',
        timeoutMs,
      );
      return port;
    },
    killSentinel,
    startSentinel,
    async destroy() {
      await Promise.all(ports.map((_, index) => killSentinel(index)));
      await replicated.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
