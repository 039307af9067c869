// Apiframe misbehaving in every way the simulator can: each fault gets the right status, the
// reservation is released (or the job stays pending and settles later), and nothing crashes. A
// job Apiframe created whose answer was lost is found by replaying its Idempotency-Key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { SEED_BODY, startGateway, type CreatedKey, type TestGateway } from '../helpers/gateway.js';

let redis: RedisServer;
let gw: TestGateway;
let key: CreatedKey;
const faults: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  gw = await startGateway({ redisUrl: redis.url, env: { UPSTREAM_TIMEOUT_MS: '300' } });
  key = await gw.createKey();
});
afterAll(async () => {
  await gw.close();
  await redis.destroy();
  console.log(`upstream faults injected and survived: ${faults.join(', ')}`);
});

const generate = (prompt: string) => gw.generate(key.key, { ...SEED_BODY, prompt });
const openReservations = () => gw.app.services.store.expiredReservations(key.team, Number.MAX_SAFE_INTEGER, 100);

describe('upstream faults on submission', () => {
  it.each([
    ['a reset connection', '[sim:reset]', 502, 'GW_UPSTREAM_UNAVAILABLE'],
    ['a 500', '[sim:status=500]', 502, 'GW_UPSTREAM_UNAVAILABLE'],
    ['a 503', '[sim:status=503]', 502, 'GW_UPSTREAM_UNAVAILABLE'],
  ])('answers %s (%s) with %i and releases the reservation', async (name, directive, status, code) => {
    const before = (await gw.spend(key)).total;
    const response = await generate(`a cat ${directive}`);
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ code });
    expect((await gw.spend(key)).total).toBe(before);
    expect(await openReservations()).toEqual([]);
    faults.push(name);
  });

  // Apiframe made the job, but its answer was lost on the way: the submission is sent again with
  // the same Idempotency-Key, Apiframe names the job it made, and the caller gets it. Slow headers
  // (550 ms, past the 300 ms timeout) are found by the first replay, which waits for the first
  // submission to end, or else by the second.
  it.each([
    ['slow headers', '[sim:latency=550]'],
    ['a slow body', '[sim:slowbody=1000]'],
    ['malformed JSON', '[sim:garbage]'],
    ['an answer lost with its connection', '[sim:lost]'],
  ])('finds the job behind %s (%s) by replaying its Idempotency-Key, and bills it once', async (name, directive) => {
    const before = (await gw.spend(key)).total;
    const [reached, charged] = [gw.sim.requests.length, gw.sim.chargedCredits()];
    const response = await generate(`a cat ${directive}`);
    expect(response.statusCode, response.body).toBe(202);
    const { jobId } = response.json<{ jobId: string }>();
    const submissions = gw.sim.requests.slice(reached).filter((request) => request.method === 'POST');
    expect(submissions.length).toBeGreaterThanOrEqual(2);
    expect(new Set(submissions.map((request) => request.headers['idempotency-key'])).size).toBe(1);
    expect(gw.sim.chargedCredits() - charged, 'one job made').toBe(3);
    expect(await gw.app.services.store.getJob(key.team, jobId)).toMatchObject({ state: 'pending', reserved: 3 });
    expect((await gw.spend(key)).total).toBe(before + 3);
    faults.push(`${name} (job found on a replay)`);
  });

  it('answers 504 and releases the reservation when Apiframe stays silent through every replay', async () => {
    const before = (await gw.spend(key)).total;
    const response = await generate('a cat [sim:latency=3000]');
    expect(response.statusCode).toBe(504);
    expect(response.json()).toMatchObject({ code: 'GW_UPSTREAM_TIMEOUT' });
    expect((await gw.spend(key)).total).toBe(before);
    expect(await openReservations()).toEqual([]);
    expect(gw.logs.some((line) => line.includes('every replay failed'))).toBe(true);
    const metrics = await gw.app.services.metrics.registry.metrics();
    expect(metrics).toContain('apiframe_gateway_submission_replays_total{outcome="found"} 4');
    // Failed: this one, and the reset connection above (no job was made, and each replay was reset too).
    expect(metrics).toContain('apiframe_gateway_submission_replays_total{outcome="failed"} 2');
    faults.push('Apiframe silent through the replays');
  });
});

describe('a lost answer near the end of its Idempotency-Key hold', () => {
  it('is not replayed when no replay could be answered within RESERVATION_LEASE_MS of the arrival', async () => {
    // The shortest lease these timeouts allow (6 s + 0.1 s + 5 s): the first answer is lost at 6 s,
    // and a replay then might not be answered before 11.1 s, when the key's hold would end.
    const env = { UPSTREAM_TIMEOUT_MS: '6000', REDIS_TIMEOUT_MS: '100', RESERVATION_LEASE_MS: '11100' };
    const late = await startGateway({ redisUrl: redis.url, sim: gw.sim, env });
    try {
      const lateKey = await late.createKey();
      const sent = gw.sim.requests.length;
      const response = await late.generate(lateKey.key, { ...SEED_BODY, prompt: 'a cat [sim:latency=7000]' });
      expect(response.statusCode).toBe(504);
      expect(gw.sim.requests.slice(sent).filter((request) => request.method === 'POST')).toHaveLength(1);
      expect((await late.spend(lateKey)).total).toBe(0);
    } finally {
      await late.close();
    }
  }, 20_000);
});

describe('upstream faults on polls', () => {
  it('keeps a job pending while its polls fail, and settles it once Apiframe answers', async () => {
    const { jobId } = (await generate('a cat [sim:pollfail=2]')).json();
    const before = (await gw.spend(key)).total;
    for (let i = 0; i < 2; i++) {
      const poll = await gw.poll(key.key, jobId);
      expect(poll.statusCode).toBe(502);
      expect(await gw.app.services.store.getJob(key.team, jobId)).toMatchObject({ state: 'pending' });
    }
    expect((await gw.poll(key.key, jobId)).json()).toMatchObject({ status: 'COMPLETED' });
    expect(await gw.app.services.store.getJob(key.team, jobId)).toMatchObject({ state: 'settled', charged: 3 });
    expect((await gw.spend(key)).total).toBe(before);
    faults.push('failing polls');
  });

  it('leaves a job that never finishes pending, reserved, and checked less and less often', async () => {
    const { jobId } = (await generate('a cat [sim:never]')).json();
    expect((await gw.poll(key.key, jobId)).json()).toMatchObject({ status: 'PROCESSING' });
    await gw.app.services.backgroundSettlement.settleOnce();
    expect(await gw.app.services.store.getJob(key.team, jobId)).toMatchObject({ state: 'pending', reserved: 3 });
    expect(await gw.app.services.store.pendingJobs(key.team, Date.now(), 10)).toEqual([]);
    faults.push('a job that never finishes');
  });
});

describe('a storm of upstream 429s', () => {
  it('tells every caller to retry, charges nothing, and stops calling Apiframe until Retry-After has passed', async () => {
    const storm = await startGateway({ redisUrl: redis.url });
    try {
      const stormKey = await storm.createKey();
      const responses = await Promise.all(
        Array.from({ length: 100 }, () =>
          storm.generate(stormKey.key, { ...SEED_BODY, prompt: 'a cat [sim:status=429]' }),
        ),
      );
      expect(responses.every((r) => r.statusCode === 429 && Number(r.headers['retry-after']) >= 1)).toBe(true);
      const reached = storm.sim.requests.filter((r) => r.method === 'POST').length;
      expect(reached).toBeLessThanOrEqual(100);
      expect((await storm.generate(stormKey.key)).statusCode).toBe(429);
      expect(storm.sim.requests.filter((r) => r.method === 'POST').length).toBe(reached);
      expect((await storm.spend(stormKey)).total).toBe(0);
      faults.push(`429 storm (${reached} of 100 reached Apiframe)`);
    } finally {
      await storm.close();
    }
  });
});
