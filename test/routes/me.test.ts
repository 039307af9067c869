// GET /v2/me answers team.credits as the integer Apiframe's spec requires. A key with no budget
// (its own or its team's) reports the company account's remaining credits, read from Apiframe's
// /v2/me at most every 30 s by one fetch at a time, and nothing else of that account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_CREDITS_CACHE_MS } from '../../src/services/account-credits.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { startGateway, testClock, type CreatedKey, type TestGateway } from '../helpers/gateway.js';

const ACCOUNT_CREDITS = 5_000;
const clock = testClock();
let redis: RedisServer;
let gw: TestGateway;

beforeAll(async () => {
  redis = await startRedis();
  gw = await startGateway({ redisUrl: redis.url, clock, simulator: { accountCredits: ACCOUNT_CREDITS } });
});
afterAll(async () => {
  await gw.close();
  await redis.destroy();
});

const me = (key: CreatedKey) => gw.inject({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': key.key } });
const accountReads = () => gw.sim.requests.filter((r) => r.method === 'GET' && r.url === '/v2/me').length;
/** Past the cache: the next unlimited /v2/me asks Apiframe again. */
const expireCache = () => clock.advance(ACCOUNT_CREDITS_CACHE_MS);

describe('GET /v2/me for a key without a budget', () => {
  it('reports the company account’s remaining credits as an integer, and nothing else of the account', async () => {
    expireCache();
    const key = await gw.createKey();
    const response = await me(key);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      user: { id: key.id, email: `${key.id}@keys.apiframe-gateway.invalid`, role: 'MEMBER' },
      team: {
        id: await gw.teamUuid(key.team),
        name: key.team,
        credits: ACCOUNT_CREDITS - gw.sim.chargedCredits(),
        plan: 'gateway',
        customerId: null,
      },
      apiKey: { id: key.id, name: 'test key', prefix: key.prefix },
    });
  });

  it('keeps the figure for 30 s, then reads what Apiframe has charged since', async () => {
    expireCache();
    const key = await gw.createKey();
    const before = (await me(key)).json().team.credits;
    const { jobId } = (await gw.generate(key.key)).json();
    expect(gw.sim.jobStatus(jobId)).toBe('COMPLETED');
    expect((await me(key)).json().team.credits).toBe(before);

    expireCache();
    expect((await me(key)).json().team.credits).toBe(before - 3);
  });

  it('asks Apiframe once however many callers ask at the same time', async () => {
    expireCache();
    const keys = await Promise.all(Array.from({ length: 5 }, () => gw.createKey()));
    const reads = accountReads();
    const answers = await Promise.all(keys.flatMap((key) => [me(key), me(key), me(key), me(key)]));
    expect(answers.map((answer) => answer.statusCode)).toEqual(answers.map(() => 200));
    expect(new Set(answers.map((answer) => answer.json().team.credits)).size).toBe(1);
    expect(accountReads() - reads).toBe(1);
  });

  it('answers an Apiframe-shaped 502 while Apiframe cannot say, and caches no failure', async () => {
    expireCache();
    const key = await gw.createKey();
    gw.sim.failAll(503);
    try {
      const refused = await me(key);
      expect(refused.statusCode).toBe(502);
      expect(refused.json()).toEqual({ error: 'Upstream service error; retry later', code: 'GW_UPSTREAM_UNAVAILABLE' });
    } finally {
      gw.sim.failAll(null);
    }
    expect((await me(key)).statusCode).toBe(200);
  });

  it('never asks Apiframe for a key with a budget', async () => {
    expireCache();
    const limited = await gw.createKey({ budget: { credits: 30, period: 'month' } });
    const reads = accountReads();
    gw.sim.failAll(503);
    try {
      const response = await me(limited);
      expect(response.statusCode).toBe(200);
      expect(response.json().team.credits).toBe(30);
    } finally {
      gw.sim.failAll(null);
    }
    expect(accountReads()).toBe(reads);
  });
});
