// A local Redis Cluster on free loopback ports: 3 masters, for the tests that prove every
// script's keys share one hash slot, or 3 masters with a replica each, for the failover tests
// (find the master serving a key, SIGKILL it, wait for its replica to take over, restart it).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isRunning, onNode, startOnFreePort, stopped, waitUntil } from './redis-node.js';

const execute = promisify(execFile);

export interface RedisCluster {
  /** Seed URLs, comma-separated, as REDIS_CLUSTER_NODES takes them. */
  nodes: string;
  /** The port of the master serving `key`'s hash slot now. */
  masterOf(key: string): Promise<number>;
  /** The port of the replica following the master on `masterPort`. */
  replicaOf(masterPort: number): Promise<number>;
  /** Freezes (SIGSTOP) or thaws (SIGCONT) the node on `port`: it keeps its connections but answers nothing. */
  signal(port: number, name: 'SIGSTOP' | 'SIGCONT'): void;
  /** The node on `port` drops its replicas' links (a replica frozen first cannot come back on its own). */
  dropReplicaLinks(port: number): Promise<void>;
  /** SIGKILLs the node on `port` (a crash, as far as the cluster can tell). */
  kill(port: number): Promise<void>;
  /** Starts the node on `port` again from its own directory (a former master rejoins as a replica). */
  restart(port: number): Promise<void>;
  /** Waits until a master other than `formerPort` serves `key`'s slot and the cluster is whole; its port. */
  waitForNewMaster(key: string, formerPort: number, timeoutMs?: number): Promise<number>;
  destroy(): Promise<void>;
}

export interface RedisClusterOptions {
  /** Replicas per master: 0 (the default) or 1. */
  replicas?: 0 | 1;
  /** How long a node may be unreachable before it counts as failed (2000 ms by default). */
  nodeTimeoutMs?: number;
}

function spawnNode(port: number, dir: string, nodeTimeoutMs: number): ChildProcess {
  return spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${port}.conf`,
      '--cluster-node-timeout',
      String(nodeTimeoutMs),
      '--save',
      '',
      '--appendonly',
      'no',
      // A node back after a crash resyncs in full: start at once rather than after 5 s of waiting for company.
      '--repl-diskless-sync-delay',
      '0',
    ],
    { stdio: 'ignore' },
  );
}

const clusterOk = (port: number) => async () =>
  (await onNode(port, (client) => client.cluster('INFO'))).includes('cluster_state:ok');
const replicaInSync = (port: number) => async () =>
  (await onNode(port, (client) => client.info('replication'))).includes('master_link_status:up');

/** The port of the master serving `slot`, as the node on `askPort` sees the slot map. */
async function masterOfSlot(askPort: number, slot: number): Promise<number> {
  const ranges = await onNode(askPort, (client) => client.cluster('SLOTS'));
  const master = ranges.find(([first, last]) => first <= slot && slot <= last)?.[2];
  if (!master) throw new Error(`no master serves slot ${slot}`);
  return master[1];
}

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const replicas = options.replicas ?? 0;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 2000;
  const dir = mkdtempSync(join(tmpdir(), 'gw-cluster-'));
  const children = new Map<number, ChildProcess>();
  for (let i = 0; i < 3 * (1 + replicas); i++) {
    const { port, child } = await startOnFreePort((port) => spawnNode(port, dir, nodeTimeoutMs), 'a cluster node');
    children.set(port, child);
  }
  const ports = [...children.keys()];
  const ping = (port: number) => async () => (await onNode(port, (client) => client.ping())) === 'PONG';
  await execute('redis-cli', [
    '--cluster',
    'create',
    ...ports.map((port) => `127.0.0.1:${port}`),
    '--cluster-replicas',
    String(replicas),
    '--cluster-yes',
  ]);
  for (const port of ports) await waitUntil(clusterOk(port), `cluster state on ${port}`);
  await waitForReplicas();

  async function waitForReplicas(): Promise<void> {
    for (const port of ports) {
      const role = await onNode(port, (client) => client.info('replication'));
      if (role.includes('role:slave')) await waitUntil(replicaInSync(port), `replica on ${port} in sync`);
    }
  }
  const alive = () => ports.filter((port) => isRunning(children.get(port)!));
  const slotOf = (key: string) => onNode(alive()[0]!, (client) => client.cluster('KEYSLOT', key)) as Promise<number>;

  return {
    nodes: ports.map((port) => `redis://127.0.0.1:${port}`).join(','),
    async masterOf(key) {
      return masterOfSlot(alive()[0]!, await slotOf(key));
    },
    async replicaOf(masterPort) {
      const info = await onNode(masterPort, (client) => client.info('replication'));
      const port = /^slave0:.*port=(\d+)/m.exec(info)?.[1];
      if (!port) throw new Error(`the master on ${masterPort} has no replica`);
      return Number(port);
    },
    signal(port, name) {
      children.get(port)!.kill(name);
    },
    async dropReplicaLinks(port) {
      await onNode(port, (client) => client.client('KILL', 'TYPE', 'replica'));
    },
    async kill(port) {
      await stopped(children.get(port)!);
    },
    async restart(port) {
      children.set(port, spawnNode(port, dir, nodeTimeoutMs));
      await waitUntil(ping(port), `redis-server on ${port}`);
      await waitUntil(clusterOk(port), `cluster state on ${port}`);
    },
    async waitForNewMaster(key, formerPort, timeoutMs = 20_000) {
      const slot = await slotOf(key);
      let master = formerPort;
      await waitUntil(
        async () => {
          master = await masterOfSlot(alive()[0]!, slot);
          return master !== formerPort && (await clusterOk(master)());
        },
        `a new master for slot ${slot}`,
        timeoutMs,
      );
      return master;
    },
    async destroy() {
      await Promise.all([...children.values()].map(stopped));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
