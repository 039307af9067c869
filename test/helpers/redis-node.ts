// Asking one Redis node (or sentinel) a question over a short-lived connection, waiting for a
// condition, and stopping a node's process: what the Cluster and Sentinel helpers share.
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './redis-server.js';

/** Runs `ask` on a short-lived connection to the node on `port`, failing fast when it is down. */
export async function onNode<T>(port: number, ask: (client: Redis) => Promise<T>): Promise<T> {
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

/** Polls `check` every 50 ms until it holds (a failing check counts as not yet). */
export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Whether `child` was started and has neither exited nor been killed. */
export const isRunning = (child: ChildProcess | undefined) =>
  !!child && child.exitCode === null && child.signalCode === null;

/** SIGKILLs `child` (a crash, as far as Redis can tell) and resolves once it has exited. */
export function stopped(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!isRunning(child)) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * Starts a Redis process on a free port and waits until it answers. The port can be taken between
 * `freePort` and the process binding it (by another test's connection or server, or, for a cluster
 * node, its bus port 10,000 above it, which may not even exist): a process that exits before
 * answering is started again on another port.
 */
export async function startOnFreePort(
  start: (port: number) => ChildProcess,
  what: string,
): Promise<{ port: number; child: ChildProcess }> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = await freePort();
    const child = start(port);
    if (await answersOn(port, child, what)) return { port, child };
  }
  throw new Error(`${what} exited on each of 5 free ports`);
}

/** Waits until `child` answers on `port` (true), or exits first (false). */
async function answersOn(port: number, child: ChildProcess, what: string): Promise<boolean> {
  const itself = async () =>
    (await onNode(port, (client) => client.info('server'))).includes(`process_id:${child.pid}\r`);
  try {
    await waitUntil(async () => !isRunning(child) || (await itself()), `${what} on ${port}`);
  } catch (error) {
    await stopped(child);
    throw error;
  }
  return isRunning(child);
}
