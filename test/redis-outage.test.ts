import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from './helpers/redis-server.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

let redis: RedisServer;
let gw: TestGateway;

beforeAll(async () => {
  redis = await startRedis({ appendOnly: true });
  gw = await startGateway({ redisUrl: redis.url, env: { REDIS_TIMEOUT_MS: '300' } });
});
afterAll(async () => {
  await gw.close();
  await redis.destroy();
});

describe('when Redis is down', () => {
  it('fails closed with 503, sends nothing upstream, and recovers without a restart', async () => {
    const key = await gw.createKey({ budget: { credits: 30, period: 'day' } });
    expect((await gw.generate(key.key)).statusCode).toBe(202);
    await redis.stop();
    const before = gw.sim.requests.length;
    const started = Date.now();
    const refused = await gw.generate(key.key);
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toEqual({
      error: 'Credit store unavailable; nothing was charged, retry later',
      code: 'GW_STORE_UNAVAILABLE',
    });
    expect(gw.sim.requests.length).toBe(before);
    console.log(`Redis down: generate refused with 503 after ${Date.now() - started} ms, 0 upstream calls`);

    await redis.start();
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 202; attempt++) {
      status = (await gw.generate(key.key)).statusCode;
      if (status !== 202) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(202);
  });
});
