// The measures `npm run bench` reports besides autocannon's: a process's CPU time from /proc,
// Redis's CPU and commandstats, and each script's time per call named from its SHA, with the
// slow log's settings put back afterwards.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuSecondsOf } from '../bench/processes.js';
import { redisUsage, scriptName, scriptTimes, usageBetween } from '../bench/redis-cpu.js';
import { RESERVE } from '../src/services/store/credits/lua.js';
import { startRedis, type RedisServer } from './helpers/redis-server.js';

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis.disconnect();
  await server.destroy();
});

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

describe('the bench measures', () => {
  it("reads a process's CPU seconds, which grow as it works", () => {
    const before = cpuSecondsOf(process.pid);
    const until = Date.now() + 100;
    while (Date.now() < until);
    expect(cpuSecondsOf(process.pid)).toBeGreaterThan(before);
  });

  it("names the store's scripts and @fastify/rate-limit's counter by their SHA", () => {
    expect(scriptName(sha1(RESERVE.lua))).toBe('gwReserve');
    expect(scriptName(sha1(RESERVE.lua).toUpperCase())).toBe('gwReserve');
    expect(scriptName('0123456789abcdef')).toBe('script 01234567');
  });

  it('times each script and command per request from the slow log, and puts its settings back', async () => {
    const settings = await redis.config('GET', 'slowlog-*');
    const times = await scriptTimes(redis, 10, async () => {
      for (let i = 0; i < 10; i++) {
        await redis.eval("return redis.call('INCR', KEYS[1])", 1, 'counted');
        await redis.set('plain', String(i));
      }
    });
    const script = times.find((t) => t.name === `script ${sha1("return redis.call('INCR', KEYS[1])").slice(0, 8)}`);
    expect(script).toMatchObject({ script: true, callsPerRequest: 1 });
    expect(times.find((t) => t.name === 'set')).toMatchObject({ script: false, callsPerRequest: 1 });
    expect(times[0]!.script).toBe(true);
    expect(await redis.config('GET', 'slowlog-*')).toEqual(settings);
  });

  it("takes Redis's CPU and commandstats across a run", async () => {
    const before = await redisUsage(redis);
    for (let i = 0; i < 50; i++) await redis.hset('h', 'f', String(i));
    const used = usageBetween(before, await redisUsage(redis));
    expect(used.commands.get('hset')?.calls).toBe(50);
    expect(used.cpuSeconds).toBeGreaterThanOrEqual(0);
  });
});
