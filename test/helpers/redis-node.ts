// Asking one Redis node (or sentinel) a question over a short-lived connection, waiting for a
// condition, and stopping a node's process: what the Cluster and Sentinel helpers share.
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';

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
