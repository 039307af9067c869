import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { SEED_BODY, startGateway, type TestGateway } from '../helpers/gateway.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.destroy();
});

describe.each(['redis', 'memory'] as const)('generate → poll → settle (%s store)', (storeKind) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(storeKind === 'redis' ? { redisUrl: redis.url } : {});
  });
  afterAll(async () => {
    await gw.close();
  });

  const submissions = () => gw.sim.requests.filter((r) => r.method === 'POST').length;

  it('runs the seed curl example: 202, the job completes through GET /v2/jobs/{id}, spend 3', async () => {
    const key = await gw.createKey();
    const accepted = await gw.generate(key.key, SEED_BODY);
    expect(accepted.statusCode).toBe(202);
    const { jobId, status } = accepted.json<{ jobId: string; status: string }>();
    expect(status).toBe('QUEUED');
    expect(accepted.headers['x-request-id']).toBeTruthy();
    expect((await gw.spend(key)).total).toBe(3);

    const polled = await gw.poll(key.key, jobId);
    expect(polled.statusCode).toBe(200);
    expect(polled.json()).toMatchObject({ id: jobId, status: 'COMPLETED', creditCost: 3 });
    expect((await gw.spend(key)).total).toBe(3);
  });

  it('forwards the real X-API-Key and none of the caller credentials', async () => {
    const key = await gw.createKey();
    const before = gw.sim.requests.length;
    const response = await gw.inject({
      method: 'POST',
      url: '/v2/images/generate',
      headers: { authorization: `Bearer ${key.key}`, cookie: 'session=abc' },
      payload: SEED_BODY,
    });
    expect(response.statusCode).toBe(202);
    const sent = gw.sim.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.headers['x-api-key']).toMatch(/^afk_test_/);
    expect(sent[0]!.headers.authorization).toBeUndefined();
    expect(sent[0]!.headers.cookie).toBeUndefined();
    expect(JSON.parse(sent[0]!.body)).toEqual(SEED_BODY);
  });

  it('settles a failed job at 0 credits', async () => {
    const key = await gw.createKey();
    const accepted = await gw.generate(key.key, { ...SEED_BODY, prompt: 'a cat [sim:fail]' });
    expect(accepted.statusCode).toBe(202);
    expect((await gw.spend(key)).total).toBe(3);
    const polled = await gw.poll(key.key, accepted.json().jobId);
    expect(polled.json()).toMatchObject({ status: 'FAILED', creditCost: 0 });
    expect((await gw.spend(key)).total).toBe(0);
  });

  it('settles a cancelled job at 0 credits', async () => {
    const key = await gw.createKey();
    const accepted = await gw.generate(key.key, { ...SEED_BODY, prompt: 'a cat [sim:cancel]' });
    await gw.poll(key.key, accepted.json().jobId);
    expect((await gw.spend(key)).total).toBe(0);
  });

  it('charges the creditCost Apiframe reports when it differs from the price', async () => {
    const key = await gw.createKey();
    const accepted = await gw.generate(key.key, { ...SEED_BODY, prompt: 'a cat [sim:cost=5]' });
    await gw.poll(key.key, accepted.json().jobId);
    expect((await gw.spend(key)).total).toBe(5);
  });

  it('charges the whole reservation for a completed job whose cost Apiframe does not state', async () => {
    const key = await gw.createKey();
    const accepted = await gw.generate(key.key, { ...SEED_BODY, prompt: 'a cat [sim:nocost]' });
    const polled = await gw.poll(key.key, accepted.json().jobId);
    expect(polled.json()).toMatchObject({ status: 'COMPLETED', creditCost: null });
    expect((await gw.spend(key)).total).toBe(3);
  });

  it('settles exactly once however often a terminal job is polled', async () => {
    const key = await gw.createKey();
    const { jobId } = (await gw.generate(key.key)).json();
    const polls = await Promise.all(Array.from({ length: 20 }, () => gw.poll(key.key, jobId)));
    expect(polls.every((p) => p.statusCode === 200)).toBe(true);
    expect((await gw.spend(key)).total).toBe(3);
  });

  it('serves a settled job without asking Apiframe again', async () => {
    const key = await gw.createKey();
    const { jobId } = (await gw.generate(key.key)).json();
    await gw.poll(key.key, jobId);
    const before = gw.sim.requests.length;
    const again = await gw.poll(key.key, jobId);
    expect(again.json()).toMatchObject({ id: jobId, status: 'COMPLETED' });
    expect(gw.sim.requests.length).toBe(before);
  });

  it.each([
    [500, 502, 'Upstream service error; retry later'],
    [503, 502, 'Upstream service error; retry later'],
    [401, 502, 'Upstream credentials rejected; your key is fine, contact the gateway operator'],
    [403, 502, 'Upstream credentials rejected; your key is fine, contact the gateway operator'],
    [402, 503, 'Upstream account out of credits; contact the gateway operator'],
  ])('maps upstream %i to %i and charges nothing', async (upstream, expected, message) => {
    const key = await gw.createKey();
    const response = await gw.generate(key.key, { ...SEED_BODY, prompt: `a cat [sim:status=${upstream}]` });
    expect(response.statusCode).toBe(expected);
    expect(response.json()).toMatchObject({ error: message });
    expect((await gw.spend(key)).total).toBe(0);
  });

  it('passes an upstream validation refusal on as 400 and charges nothing', async () => {
    const key = await gw.createKey();
    const response = await gw.generate(key.key, { ...SEED_BODY, prompt: 'a cat [sim:status=400]' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'Validation failed' });
    expect((await gw.spend(key)).total).toBe(0);
  });

  it('answers 402 in Apiframe’s shape when the budget is spent, and forwards nothing', async () => {
    const key = await gw.createKey({ budget: { credits: 5, period: 'day' } });
    expect((await gw.generate(key.key)).statusCode).toBe(202);
    const before = submissions();
    const refused = await gw.generate(key.key);
    expect(refused.statusCode).toBe(402);
    expect(refused.json()).toEqual({
      error: 'Insufficient credits',
      code: 'GW_INSUFFICIENT_CREDITS',
      creditsRequired: 3,
      creditsAvailable: 2,
    });
    expect(submissions()).toBe(before);
  });

  it('GET /v2/me describes the team key with the credits it has left', async () => {
    const key = await gw.createKey({ budget: { credits: 30, period: 'month' } });
    await gw.generate(key.key);
    const me = await gw.inject({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': key.key } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({
      team: { id: await gw.teamUuid(key.team), name: key.team, credits: 27 },
      apiKey: { id: key.id, name: 'test key', prefix: key.prefix },
    });
    const unlimited = await gw.createKey();
    const meUnlimited = await gw.inject({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': unlimited.key } });
    expect(meUnlimited.json().team.credits).toBe(100_000 - gw.sim.chargedCredits());
  });
});

describe('upstream timeouts and outages', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ redisUrl: redis.url, env: { UPSTREAM_TIMEOUT_MS: '200' } });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('answers 504 when Apiframe stays too slow through every replay, and releases the reservation', async () => {
    const key = await gw.createKey();
    const response = await gw.generate(key.key, { ...SEED_BODY, prompt: 'slow [sim:latency=3000]' });
    expect(response.statusCode).toBe(504);
    expect(response.json()).toMatchObject({ error: 'Upstream did not answer in time', code: 'GW_UPSTREAM_TIMEOUT' });
    expect((await gw.spend(key)).total).toBe(0);
  });

  it('answers 502 when Apiframe cannot be reached and charges nothing', async () => {
    const down = await startGateway({ redisUrl: redis.url, env: { APIFRAME_BASE_URL: 'http://127.0.0.1:9' } });
    try {
      const key = await down.createKey();
      const response = await down.generate(key.key);
      expect(response.statusCode).toBe(502);
      expect((await down.spend(key)).total).toBe(0);
      // Refused connections sent nothing: there was no answer to lose, so no replay.
      expect(await down.app.services.metrics.registry.metrics()).not.toContain('submission_replays_total{');
    } finally {
      await down.close();
    }
  });
});

describe('an upstream 429', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ redisUrl: redis.url });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('is passed on with its Retry-After, and honoured for every caller until it has passed', async () => {
    const key = await gw.createKey();
    const other = await gw.createKey();
    const { jobId } = (await gw.generate(other.key)).json();
    const limited = await gw.generate(key.key, { ...SEED_BODY, prompt: 'a cat [sim:status=429]' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({
      error: 'Upstream rate limit reached; retry later',
      code: 'GW_UPSTREAM_RATE_LIMITED',
    });
    expect(limited.headers['retry-after']).toBe('2');

    const calls = gw.sim.requests.length;
    const held = await gw.generate(other.key);
    expect(held.statusCode).toBe(429);
    expect(Number(held.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await gw.poll(other.key, jobId)).statusCode).toBe(429);
    expect(gw.sim.requests.length).toBe(calls);
    expect((await gw.spend(other)).total).toBe(3);
    expect((await gw.spend(key)).total).toBe(0);

    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await gw.generate(other.key)).statusCode).toBe(202);
  });
});
