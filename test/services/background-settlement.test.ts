import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { windowsAt } from '../../src/domain/budgets.js';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { SEED_BODY, startGateway, testClock, UPSTREAM_KEY, type TestGateway } from '../helpers/gateway.js';

let redis: RedisServer;
let sim: Simulator;
let gw: TestGateway;
let other: TestGateway;
const clock = testClock();

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0, prices: { 'seedream-4': 3 } });
  gw = await startGateway({ sim, redisUrl: redis.url, clock });
  other = await startGateway({ sim, redisUrl: redis.url, clock });
});
afterAll(async () => {
  await gw.close();
  await other.close();
  await sim.close();
  await redis.destroy();
});

describe('background settlement', () => {
  it('settles jobs that nobody polls: completed at their cost, failed at 0', async () => {
    const key = await gw.createKey();
    await gw.generate(key.key);
    await gw.generate(key.key, { ...SEED_BODY, prompt: 'x [sim:fail]' });
    expect((await gw.spend(key)).total).toBe(6);
    const pass = await gw.app.services.backgroundSettlement.settleOnce();
    expect(pass.skipped).toBe(false);
    expect(pass.settled).toBeGreaterThanOrEqual(2);
    expect((await gw.spend(key)).total).toBe(3);
    expect(await gw.app.services.store.pendingJobs(key.team, clock(), 10)).toEqual([]);
  });

  it('leaves running jobs pending and checks them again later', async () => {
    const key = await gw.createKey();
    const { jobId } = (await gw.generate(key.key, { ...SEED_BODY, prompt: 'x [sim:never]' })).json();
    await gw.app.services.backgroundSettlement.settleOnce();
    expect(await gw.app.services.store.getJob(key.team, jobId)).toMatchObject({ state: 'pending' });
    expect(await gw.app.services.store.pendingJobs(key.team, clock(), 10)).toEqual([]);
    clock.advance(10 * 60_000);
    expect((await gw.app.services.store.pendingJobs(key.team, clock(), 10)).map((j) => j.jobId)).toEqual([jobId]);
    expect((await gw.spend(key)).total).toBe(3);
  });

  it('releases reservations whose request died before Apiframe answered', async () => {
    const key = await gw.createKey();
    const store = gw.app.services.store;
    await store.reserve({
      reservationId: randomUUID(),
      team: key.team,
      keyId: key.id,
      model: 'seedream-4',
      credits: 3,
      windows: windowsAt(clock()),
      keyBudget: null,
      teamBudget: null,
      now: clock(),
      requestId: 'req-test',
      leaseUntil: clock() + 1_000,
    });
    expect((await gw.spend(key)).total).toBe(3);
    await gw.app.services.backgroundSettlement.settleOnce();
    expect((await gw.spend(key)).total).toBe(3);
    clock.advance(1_000);
    const pass = await gw.app.services.backgroundSettlement.settleOnce();
    expect(pass.released).toBe(1);
    expect((await gw.spend(key)).total).toBe(0);
  });

  it('runs on one instance at a time', async () => {
    await gw.app.services.backgroundSettlement.settleOnce();
    expect((await other.app.services.backgroundSettlement.settleOnce()).skipped).toBe(true);
  });
});
