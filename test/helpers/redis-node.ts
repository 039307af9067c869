// Asking one Redis node (or sentinel) a question over a short-lived connection, and waiting for
// a condition: what the Cluster and Sentinel helpers share.
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
