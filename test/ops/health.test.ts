import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { gatewayOnRedis, startGateway } from '../helpers/gateway.js';

const ctx = gatewayOnRedis();

async function readyz(): Promise<{ status: number; body: { status: string; reason?: string } }> {
  const response = await ctx.gw.inject({ method: 'GET', url: '/readyz' });
  return { status: response.statusCode, body: response.json() };
}

async function waitFor(check: () => Promise<boolean>, limitMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > limitMs) throw new Error(`not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
}

describe('health', () => {
  it('/healthz answers while the process is up', async () => {
    expect((await ctx.gw.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
  });

  it('/readyz turns 503 within 2 s of Redis going away, and 200 again when it returns, without a restart', async () => {
    expect(await readyz()).toEqual({ status: 200, body: { status: 'ready', store: 'redis' } });
    await ctx.redis.stop();
    const down = await waitFor(async () => (await readyz()).status === 503, 2_000);
    const { body } = await readyz();
    expect(body).toMatchObject({ status: 'unavailable', store: 'redis' });
    expect(body.reason).toMatch(/^redis/);
    await ctx.redis.start();
    const up = await waitFor(async () => (await readyz()).status === 200, 10_000);
    console.log(
      `/readyz: 503 ${down} ms after Redis stopped ("${body.reason}"), 200 again ${up} ms after it restarted`,
    );
  });

  it('reloads the money scripts when Redis has lost them', async () => {
    const client = new Redis(ctx.redis.url);
    await client.script('FLUSH');
    client.disconnect();
    expect((await readyz()).status).toBe(200);
    const key = await ctx.gw.createKey();
    expect((await ctx.gw.generate(key.key)).statusCode).toBe(202);
  });

  it('reports the embedded store as always ready', async () => {
    const memory = await startGateway();
    try {
      expect((await memory.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({
        status: 'ready',
        store: 'memory',
      });
    } finally {
      await memory.close();
    }
  });
});
