// A gateway on Sentinel whose sentinels stop answering: once its connection to the primary
// drops, it cannot learn where the primary is, so it is not ready and submissions get 503 with
// nothing forwarded; it recovers on its own when a sentinel answers again.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server.js';

let primary: RedisServer;
let sentinelPort: number;
let sentinel: ChildProcess | undefined;
let gw: TestGateway;
const dir = mkdtempSync(join(tmpdir(), 'gw-sentinel-'));

async function startSentinel(): Promise<void> {
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor mymaster 127.0.0.1 ${primary.port} 1`,
      'sentinel down-after-milliseconds mymaster 60000',
    ].join('\n'),
  );
  sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  for (let attempt = 0; attempt < 100; attempt++) {
    const probe = new Redis({
      port: sentinelPort,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    try {
      await probe.connect();
      if (await probe.call('SENTINEL', 'get-master-addr-by-name', 'mymaster')) return;
    } catch {
      // not up yet
    } finally {
      probe.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the sentinel did not start');
}

async function stopSentinel(): Promise<void> {
  const running = sentinel;
  sentinel = undefined;
  if (!running || running.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    running.once('exit', () => resolve());
    running.kill('SIGKILL');
  });
}

beforeAll(async () => {
  primary = await startRedis();
  sentinelPort = await freePort();
  await startSentinel();
  gw = await startGateway({ env: { REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`, REDIS_TIMEOUT_MS: '300' } });
});
afterAll(async () => {
  await gw.close();
  await stopSentinel();
  await primary.destroy();
  rmSync(dir, { recursive: true, force: true });
});

async function readiness(): Promise<number> {
  return (await gw.inject({ method: 'GET', url: '/readyz' })).statusCode;
}

describe('a sentinel list where none answers', () => {
  it('is not ready and answers 503, forwarding nothing, until a sentinel answers again', async () => {
    const key = await gw.createKey();
    expect((await gw.generate(key.key)).statusCode).toBe(202);

    await stopSentinel();
    const admin = new Redis(primary.url);
    await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    admin.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await readiness()).toBe(503);
    const sent = gw.sim.requests.length;
    expect((await gw.generate(key.key)).statusCode).toBe(503);
    expect(gw.sim.requests.length).toBe(sent);

    await startSentinel();
    for (let attempt = 0; (await readiness()) !== 200; attempt++) {
      expect(attempt).toBeLessThan(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await gw.generate(key.key)).statusCode).toBe(202);
  });
});
