import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { SEED_BODY, startGateway, UPSTREAM_KEY, type TestGateway } from '../helpers/gateway.js';

let redis: RedisServer;
let sim: Simulator;
let first: TestGateway;
let second: TestGateway;

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0, prices: { 'seedream-4': 3 } });
  first = await startGateway({ sim, redisUrl: redis.url });
  second = await startGateway({ sim, redisUrl: redis.url });
});
afterAll(async () => {
  await first.close();
  await second.close();
  await sim.close();
  await redis.destroy();
});

const upstreamReads = (jobId: string) =>
  sim.requests.filter((r) => r.method === 'GET' && r.url === `/v2/jobs/${jobId}`).length;

describe('job polling at scale', () => {
  it('answers 1,000 concurrent polls of a completed job with one upstream request', async () => {
    const key = await first.createKey();
    const { jobId } = (await first.generate(key.key)).json();
    const polls = await Promise.all(Array.from({ length: 1_000 }, () => first.poll(key.key, jobId)));
    expect(polls.every((p) => p.statusCode === 200 && p.json().status === 'COMPLETED')).toBe(true);
    expect(upstreamReads(jobId)).toBe(1);
    await Promise.all(Array.from({ length: 100 }, () => second.poll(key.key, jobId)));
    expect(upstreamReads(jobId)).toBe(1);
    expect((await first.spend(key)).total).toBe(3);
    console.log('polling: 1,100 polls of a completed job on two instances, 1 upstream request');
  });

  it('shares one upstream read of a running job among concurrent pollers on two instances', async () => {
    const key = await first.createKey();
    const { jobId } = (
      await first.generate(key.key, { ...SEED_BODY, prompt: 'slow poll [sim:never] [sim:latency=200]' })
    ).json();
    const polls = await Promise.all(
      Array.from({ length: 200 }, (_, i) => [first, second][i % 2]!.poll(key.key, jobId)),
    );
    expect(polls.every((p) => p.statusCode === 200 && p.json().status === 'PROCESSING')).toBe(true);
    expect(upstreamReads(jobId)).toBe(1);
    console.log(
      `polling: 200 concurrent polls of a running job on two instances, ${upstreamReads(jobId)} upstream request`,
    );
  });

  it('asks Apiframe again once the shared state is a second old', async () => {
    const key = await first.createKey();
    const { jobId } = (await first.generate(key.key, { ...SEED_BODY, prompt: 'x [sim:never]' })).json();
    await first.poll(key.key, jobId);
    await first.poll(key.key, jobId);
    expect(upstreamReads(jobId)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    await second.poll(key.key, jobId);
    await vi.waitFor(() => expect(upstreamReads(jobId)).toBe(2));
  });
});
