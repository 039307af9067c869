// A Sentinel deployment on free loopback ports: a primary and its replica (the replicated
// Redis helper) watched by three sentinels (quorum 2, a node is down after 1 s), and the
// controls the failover tests need: kill the primary, wait for the promotion, kill and start
// sentinels.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { startReplicatedRedis, type ReplicatedRedis } from './redis-replicated.js';
import { isRunning, onNode, stopped, waitUntil } from './redis-node.js';
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

/** Three sentinel processes watching the primary on `primaryPort`, each with its own config file in `dir`. */
async function sentinelProcesses(dir: string, primaryPort: number, downAfterMs: number) {
  const ports = [await freePort(), await freePort(), await freePort()];
  const children: (ChildProcess | undefined)[] = [];
  // Each sentinel rewrites its own file with what it learns, so each has one; written once, kept on restarts.
  const files = ports.map((port) => {
    const file = join(dir, `sentinel-${port}.conf`);
    writeFileSync(file, sentinelConfig(port, primaryPort, downAfterMs));
    return file;
  });
  return {
    ports,
    async start(index: number): Promise<void> {
      children[index] = spawn('redis-server', [files[index]!, '--sentinel'], { stdio: 'ignore' });
      await waitUntil(async () => (await onNode(ports[index]!, (client) => client.ping())) === 'PONG', 'a sentinel');
    },
    async kill(index: number): Promise<void> {
      const child = children[index];
      if (child) await stopped(child);
    },
    /** What a running sentinel answers, trying each in turn. */
    async ask<T>(question: (client: Redis) => Promise<T>): Promise<T> {
      let failure: unknown = new Error('no sentinel is running');
      for (const [index, port] of ports.entries()) {
        if (!isRunning(children[index])) continue;
        try {
          return await onNode(port, question);
        } catch (error) {
          failure = error;
        }
      }
      throw failure;
    },
  };
}

export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<RedisSentinel> {
  const replicated = await startReplicatedRedis({ replicas: options.replicas ?? 1 });
  const dir = mkdtempSync(join(tmpdir(), 'gw-sentinel-'));
  const sentinels = await sentinelProcesses(dir, replicated.primary.port, options.downAfterMs ?? 1000);
  const dataNodes = new Map<number, RedisServer>(
    [replicated.primary, ...replicated.replicas].map((node) => [node.port, node]),
  );
  async function primaryPort(): Promise<number> {
    const address = (await sentinels.ask((client) =>
      client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER),
    )) as [string, string];
    return Number(address[1]);
  }
  const writable = async (port: number) =>
    (await onNode(port, (client) => client.info('replication'))).includes('role:master');

  for (const index of sentinels.ports.keys()) await sentinels.start(index);
  // A failover needs the sentinels to know each other (for the quorum) and the replicas (to promote).
  await waitUntil(async () => {
    const replicas = (await sentinels.ask((client) => client.call('SENTINEL', 'REPLICAS', SENTINEL_MASTER))) as [];
    const quorum = await sentinels.ask((client) => client.call('SENTINEL', 'CKQUORUM', SENTINEL_MASTER));
    return replicas.length === replicated.replicas.length && String(quorum).startsWith('OK 3 usable');
  }, 'the sentinels to find each other and the replicas');

  return {
    sentinels: sentinels.ports.map((port) => `127.0.0.1:${port}`).join(','),
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
      const promoted = async () => {
        port = await primaryPort();
        return port !== formerPort && (await writable(port));
      };
      await waitUntil(promoted, 'a replica to be promoted', timeoutMs);
      return port;
    },
    killSentinel: sentinels.kill,
    startSentinel: sentinels.start,
    async destroy() {
      await Promise.all(sentinels.ports.map((_, index) => sentinels.kill(index)));
      await replicated.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
