// A Redis primary and its replicas on free loopback ports, for the tests that prove an
// acknowledged money write is on a replica, and the controls to make replication fail: a node
// killed, a replica frozen (it stays connected but acknowledges nothing) or cut off.
import { Redis } from 'ioredis';
import { waitUntil } from './redis-node.js';
import { startRedis, type RedisServer } from './redis-server.js';

export interface ReplicatedRedis {
  /** The primary's URL, as REDIS_URL takes it. */
  url: string;
  replicaUrls: string[];
  primary: RedisServer;
  replicas: RedisServer[];
  /** SIGKILLs the primary (-1) or a replica (its index); `start()` on the node brings it back. */
  kill(node: number): Promise<void>;
  /** Freezes replica `index` (SIGSTOP): the primary still counts it connected, but it acknowledges nothing. */
  pauseReplica(index: number): void;
  resumeReplica(index: number): void;
  /** Cuts replica `index` off (REPLICAOF NO ONE): the primary no longer counts it. */
  breakReplication(index: number): Promise<void>;
  /** Makes replica `index` follow the primary again and waits until it has caught up. */
  restoreReplication(index: number): Promise<void>;
  /** Waits until every replica's link is up and it holds all the primary has written. */
  waitForSync(): Promise<void>;
  destroy(): Promise<void>;
}

/** `INFO replication` as fields. */
export async function replicationInfo(url: string): Promise<Record<string, string>> {
  const client = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    const text = await client.info('replication');
    return Object.fromEntries(text.split(/\r?\n/).flatMap((line) => (line.includes(':') ? [line.split(':', 2)] : [])));
  } finally {
    client.disconnect();
  }
}

export async function startReplicatedRedis(options: { replicas?: number; appendOnly?: boolean } = {}) {
  // A replica that (re)connects gets its full copy at once, not after the default 5 s delay.
  const primary = await startRedis({ appendOnly: options.appendOnly, args: ['--repl-diskless-sync-delay', '0'] });
  const follow = ['--replicaof', '127.0.0.1', String(primary.port)];
  const replicas: RedisServer[] = [];
  for (let i = 0; i < (options.replicas ?? 1); i++) replicas.push(await startRedis({ args: follow }));

  async function inSync(replica: RedisServer): Promise<boolean> {
    const [mine, theirs] = await Promise.all([replicationInfo(primary.url), replicationInfo(replica.url)]);
    return theirs.master_link_status === 'up' && theirs.slave_repl_offset === mine.master_repl_offset;
  }
  const command = async (url: string, ...args: string[]) => {
    const client = new Redis(url);
    try {
      await client.call(args[0]!, ...args.slice(1));
    } finally {
      client.disconnect();
    }
  };

  const replicated: ReplicatedRedis = {
    url: primary.url,
    replicaUrls: replicas.map((replica) => replica.url),
    primary,
    replicas,
    kill: (node) => (node < 0 ? primary : replicas[node]!).stop(),
    pauseReplica: (index) => replicas[index]!.signal('SIGSTOP'),
    resumeReplica: (index) => replicas[index]!.signal('SIGCONT'),
    breakReplication: (index) => command(replicas[index]!.url, 'REPLICAOF', 'NO', 'ONE'),
    async restoreReplication(index) {
      await command(replicas[index]!.url, 'REPLICAOF', '127.0.0.1', String(primary.port));
      await waitUntil(() => inSync(replicas[index]!), `replica ${index} to catch up`, 5_000);
    },
    async waitForSync() {
      for (const [index, replica] of replicas.entries()) {
        await waitUntil(() => inSync(replica), `replica ${index} to catch up`, 5_000);
      }
    },
    async destroy() {
      await Promise.all([primary, ...replicas].map((node) => node.destroy()));
    },
  };
  await replicated.waitForSync();
  return replicated;
}
