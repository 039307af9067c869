// A gateway whose sentinel list has nobody answering cannot find its Redis primary: it says so
// on /readyz, answers submissions 503 without calling Apiframe, and serves as soon as one
// sentinel returns, without a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { SEED_BODY, startGateway, UPSTREAM_KEY, type CreatedKey, type TestGateway } from '../helpers/gateway.js';
import { SENTINEL_MASTER, startRedisSentinel, type RedisSentinel } from '../helpers/redis-sentinel.js';

let deployment: RedisSentinel;
let sim: Simulator;
let admin: TestGateway;
let gateway: GatewayProcess | undefined;

beforeAll(async () => {
  deployment = await startRedisSentinel();
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0, prices: { 'seedream-4': 3 } });
  admin = await startGateway({ sim, redisUrl: deployment.replicated.url });
}, 30_000);
afterAll(async () => {
  await gateway?.stop();
  await admin.close();
  await sim.close();
  await deployment.destroy();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a sentinel list where none answers', () => {
  it('is not ready and answers 503, then serves when one sentinel returns', async () => {
    const key: CreatedKey = await admin.createKey();
    for (const index of [0, 1, 2]) await deployment.killSentinel(index);
    gateway = await startGatewayProcess({
      REDIS_SENTINELS: deployment.sentinels,
      REDIS_SENTINEL_MASTER: SENTINEL_MASTER,
      REDIS_TIMEOUT_MS: '300',
      APIFRAME_API_KEY: UPSTREAM_KEY,
      APIFRAME_BASE_URL: sim.url,
    });
    const url = gateway.url;
    const generate = () =>
      fetch(`${url}/v2/images/generate`, {
        method: 'POST',
        headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
        body: JSON.stringify(SEED_BODY),
      });

    await sleep(500);
    const readiness = await fetch(`${url}/readyz`);
    expect(readiness.status).toBe(503);
    expect(((await readiness.json()) as { reason: string }).reason).toMatch(/^redis/);
    const refused = await Promise.all(Array.from({ length: 5 }, generate));
    expect(refused.map((response) => response.status)).toEqual([503, 503, 503, 503, 503]);
    expect(sim.requests.filter((request) => request.method === 'POST')).toEqual([]);

    await deployment.startSentinel(1);
    const returned = Date.now();
    while ((await fetch(`${url}/readyz`)).status !== 200) {
      expect(Date.now() - returned, 'ready again within 10 s').toBeLessThan(10_000);
      await sleep(50);
    }
    const ready = Date.now() - returned;
    const accepted = await generate();
    expect(accepted.status).toBe(202);
    console.log(
      `no sentinel answering: /readyz 503, 5 submissions 503 and none forwarded; ready ${ready} ms after one returned`,
    );
  }, 30_000);
});
