// Where Redis spends its time, read from Redis itself: its process CPU and INFO commandstats
// (deltas across a timed run), and each Lua script's time per call from the slow log set to
// record every command. commandstats counts all EVALSHAs as one command (and the commands a
// script runs again under their own names), so only the slow log, which keeps each call's
// arguments, can tell the scripts apart: their SHAs are named from the store's scripts.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { SCRIPTS } from '../src/services/store/redis-store.js';

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const NAMES = new Map<string, string>([
  ...SCRIPTS.map((script): [string, string] => [sha1(script.lua), script.name]),
  ...rateLimitScript(),
]);

/** @fastify/rate-limit's counter script, read from its source (none if it is not installed or has changed). */
function rateLimitScript(): [string, string][] {
  try {
    const source = readFileSync('node_modules/@fastify/rate-limit/store/RedisStore.js', 'utf8');
    const lua = /const lua = `([\s\S]*?)`/.exec(source)?.[1];
    return lua ? [[sha1(lua), '@fastify/rate-limit']] : [];
  } catch {
    return [];
  }
}

/** A script's name by its SHA, or `script <sha>` for one not known here (the floor's). */
export function scriptName(sha: string): string {
  return NAMES.get(sha.toLowerCase()) ?? `script ${sha.slice(0, 8)}`;
}

export interface RedisUsage {
  /** Redis's own CPU seconds (user + system, main thread and I/O). */
  cpuSeconds: number;
  /** commandstats: calls and microseconds by command. */
  commands: Map<string, { calls: number; usec: number }>;
}

export async function redisUsage(redis: Redis): Promise<RedisUsage> {
  const info = (await redis.call('INFO', 'cpu', 'commandstats')) as string;
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  const commands = new Map<string, { calls: number; usec: number }>();
  for (const [, name, calls, usec] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    commands.set(name!, { calls: Number(calls), usec: Number(usec) });
  }
  return { cpuSeconds: field('used_cpu_user') + field('used_cpu_sys'), commands };
}

/** What Redis did between two readings. */
export function usageBetween(before: RedisUsage, after: RedisUsage): RedisUsage {
  const commands = new Map<string, { calls: number; usec: number }>();
  for (const [name, now] of after.commands) {
    const then = before.commands.get(name) ?? { calls: 0, usec: 0 };
    if (now.calls > then.calls) commands.set(name, { calls: now.calls - then.calls, usec: now.usec - then.usec });
  }
  return { cpuSeconds: after.cpuSeconds - before.cpuSeconds, commands };
}

export interface ScriptTime {
  name: string;
  /** A script (its time includes the commands it runs, which are also listed under their own names). */
  script: boolean;
  callsPerRequest: number;
  usPerCall: number;
}

/** The bench's own commands, left out of what requests cost. */
const OWN = new Set(['slowlog', 'config', 'info', 'monitor', 'flushall', 'ping']);

/**
 * Each script's (and plain command's) calls per request and microseconds per call while `drive`
 * sends `requests` requests, from the slow log recording every command; the log's settings are
 * put back afterwards.
 */
export async function scriptTimes(redis: Redis, requests: number, drive: () => Promise<void>): Promise<ScriptTime[]> {
  const saved = (await redis.config('GET', 'slowlog-log-slower-than', 'slowlog-max-len')) as string[];
  await redis.config('SET', 'slowlog-log-slower-than', '0', 'slowlog-max-len', String(requests * 100));
  await redis.slowlog('RESET');
  try {
    await drive();
    const entries = (await redis.slowlog('GET', -1)) as [number, number, number, string[]][];
    const byName = new Map<string, { calls: number; usec: number; script: boolean }>();
    for (const [, , usec, args] of entries) {
      const command = args[0]!.toLowerCase();
      if (OWN.has(command)) continue;
      // EVAL carries the script itself: ioredis sends it so when Redis did not know its SHA.
      const name =
        command === 'evalsha' ? scriptName(args[1]!) : command === 'eval' ? scriptName(sha1(args[1]!)) : command;
      const total = byName.get(name) ?? { calls: 0, usec: 0, script: command.startsWith('eval') };
      byName.set(name, { ...total, calls: total.calls + 1, usec: total.usec + usec });
    }
    return [...byName]
      .map(([name, { calls, usec, script }]) => ({
        name,
        script,
        callsPerRequest: calls / requests,
        usPerCall: usec / calls,
      }))
      .sort(
        (a, b) =>
          Number(b.script) - Number(a.script) || b.callsPerRequest * b.usPerCall - a.callsPerRequest * a.usPerCall,
      );
  } finally {
    await redis.config('SET', ...saved);
    await redis.slowlog('RESET');
  }
}
