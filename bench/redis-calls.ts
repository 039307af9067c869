// Redis round trips per request, counted with MONITOR (a Lua script or a MULTI … EXEC block
// counts once), outside the timed runs because MONITOR slows Redis down.
import { scriptName } from './redis-cpu.js';
import { scenario, type Scenario, type Target } from './scenarios.js';

/**
 * Redis round trips the gateway makes per request in a scenario, counted with MONITOR over 200
 * sequential requests. INFO commandstats cannot tell these apart: it also counts every command a
 * script runs. Counting starts once Redis has been quiet for a while (the instances' heartbeats
 * aside), so that requests still draining from the previous run are not charged to this
 * scenario; a count during which a reconciler pass began (it shares the gateway's connection) is
 * taken again, up to three times.
 */
export async function redisCallsPerRequest(target: Target, name: Scenario): Promise<number> {
  let count = await countOnce(target, name);
  for (let attempt = 1; count.background && attempt < 3; attempt++) count = await countOnce(target, name);
  return count.perRequest;
}

async function countOnce(target: Target, name: Scenario): Promise<{ perRequest: number; background: boolean }> {
  const monitor = await target.redis!.monitor();
  let calls = 0;
  let background = false;
  let lastCommandAt = Date.now();
  let inTransaction = false;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === 'lua' || isHeartbeat(args)) return;
    lastCommandAt = Date.now();
    const command = args[0]?.toLowerCase();
    if (command === 'evalsha' && scriptName(args[1] ?? '') === 'gwAcquireLease') background = true;
    // A MULTI … EXEC block travels as one round trip.
    if (command === 'multi') inTransaction = true;
    if (command === 'exec') inTransaction = false;
    if (!inTransaction || command === 'multi') calls += command === 'exec' ? 0 : 1;
  });
  await untilQuiet(() => lastCommandAt);
  calls = 0;
  background = false;
  const requests = scenario(target, name);
  const count = 200;
  for (let i = 0; i < count; i++) {
    const request = requests[i % requests.length]!;
    await fetch(`${target.url}${request.path}`, {
      method: request.method,
      headers: request.headers as Record<string, string>,
      body: request.body as string | undefined,
    }).then((r) => r.arrayBuffer());
  }
  await untilQuiet(() => lastCommandAt);
  monitor.disconnect();
  return { perRequest: calls / count, background };
}

/**
 * Every instance beats on the change channel five times a second (a script on the change
 * counter's key), whatever the load: not a round trip of any request, and never quiet.
 */
function isHeartbeat(args: string[]): boolean {
  return args[0]?.toLowerCase() === 'evalsha' && args[2] === '1' && (args[3]?.endsWith(':changes') ?? false);
}

/** Resolves once nothing has happened for 300 ms (by `lastEventAt`), or after 30 s. */
async function untilQuiet(lastEventAt: () => number): Promise<void> {
  const giveUpAt = Date.now() + 30_000;
  while (Date.now() - lastEventAt() < 300 && Date.now() < giveUpAt)
    await new Promise((resolve) => setTimeout(resolve, 50));
}
