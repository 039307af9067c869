// Apiframe's 429 pause holds back the calls made outside the job pipeline too: while it lasts,
// /v2/me (the company account's credits, for a key without a budget) and reconciliation are
// refused with 429 and Retry-After without asking Apiframe, and a 429 Apiframe gives to one of
// them starts a pause that submissions respect.
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, gatewayOnRedis, SEED_BODY } from '../helpers/gateway.js';

const context = gatewayOnRedis();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Apiframe's 429 pause outside the job pipeline", () => {
  it('refuses /v2/me and reconciliation without asking Apiframe, and starts from a 429 on /v2/me', async () => {
    const { gw } = context;
    const key = await gw.createKey();
    const upstreamCalls = () => gw.sim.requests.length;
    const me = () => gw.inject({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': key.key } });
    const reconcile = () =>
      gw.inject({
        method: 'GET',
        url: `/admin/usage/reconciliation?team=${key.team}`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });

    expect((await gw.generate(key.key, { ...SEED_BODY, prompt: 'held back [sim:status=429]' })).statusCode).toBe(429);
    const before = upstreamCalls();
    for (const refused of [await me(), await reconcile()]) {
      expect(refused.statusCode, refused.body).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect(upstreamCalls()).toBe(before);

    await sleep(2_100);
    gw.sim.failAll(429);
    try {
      expect((await me()).statusCode).toBe(429);
    } finally {
      gw.sim.failAll(null);
    }
    const posts = () => gw.sim.requests.filter((request) => request.method === 'POST').length;
    const postsBefore = posts();
    expect((await gw.generate(key.key)).statusCode).toBe(429);
    expect(posts()).toBe(postsBefore);
  });
});
