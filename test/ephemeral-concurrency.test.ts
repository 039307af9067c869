// Ephemeral keys under contention, on one Redis shared by two gateway instances: concurrent
// submissions never pass the ephemeral key's cap, its maxJobs, its parent's budget or its
// team's, and the ledger adds up to the spend; the parent's revocation or rotation without
// grace, or the key's own revocation by its minter, ends it on every instance within a second.
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, gatewaysSharingRedis, type CreatedKey, type TestGateway } from './helpers/gateway.js';

const ctx = gatewaysSharingRedis();
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const ORIGIN = 'https://app.example.com';

async function mint(gw: TestGateway, parent: CreatedKey, body: Record<string, unknown>): Promise<string> {
  const response = await gw.inject({
    method: 'POST',
    url: '/v2/ephemeral-keys',
    headers: { 'x-api-key': parent.key },
    payload: { allowedOrigins: [ORIGIN], ...body },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().key;
}

/** 40 submissions spread over both instances at once; their statuses counted. */
async function burst(key: string): Promise<Record<number, number>> {
  const responses = await Promise.all(
    Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? ctx.first : ctx.second).generate(key)),
  );
  const counts: Record<number, number> = {};
  for (const { statusCode } of responses) counts[statusCode] = (counts[statusCode] ?? 0) + 1;
  return counts;
}

async function ledgerSum(team: string): Promise<number> {
  const url = `/admin/usage/events?team=${team}&limit=1000`;
  const { events } = (await ctx.first.inject({ method: 'GET', url, headers: admin })).json();
  return events.reduce((sum: number, event: { credits: number }) => sum + event.credits, 0);
}

describe('40 concurrent submissions with one ephemeral key over two instances', () => {
  it.each([
    ['its cap (20 credits: 6 jobs)', {}, { credits: 20 }, 6],
    ['its maxJobs (4)', {}, { credits: 100, maxJobs: 4 }, 4],
    ['its parent’s budget (15 credits: 5 jobs)', { budget: { credits: 15, period: 'day' } }, { credits: 15 }, 5],
  ])('accepts exactly what %s allows, never more, and the ledger equals the spend', async (_, parentBody, terms, k) => {
    const { credits, ...rest } = terms as { credits: number; maxJobs?: number };
    const parent = await ctx.first.createKey({ scopes: ['generate', 'keys:mint'], ...parentBody });
    const key = await mint(ctx.first, parent, { budget: { credits }, ...rest });
    expect(await burst(key)).toEqual({ 202: k, 402: 40 - k });
    const spend = await ctx.first.spend(parent);
    expect(spend.total).toBe(3 * k);
    expect(await ledgerSum(parent.team)).toBe(3 * k);
  });

  it('stays within the team’s budget shared with the parent’s own submissions', async () => {
    const parent = await ctx.first.createKey({ scopes: ['generate', 'keys:mint'] });
    const set = await ctx.first.inject({
      method: 'PATCH',
      url: `/admin/teams/${parent.team}`,
      headers: admin,
      payload: { budget: { credits: 30, period: 'month' } },
    });
    expect(set.statusCode, set.body).toBe(200);
    const key = await mint(ctx.first, parent, { budget: { credits: 30 } });
    const both = await Promise.all([burst(key), burst(parent.key)]);
    expect((both[0][202] ?? 0) + (both[1][202] ?? 0)).toBe(10);
    expect(await ledgerSum(parent.team)).toBe(30);
  });
});

describe('the parent’s standing, on every instance', () => {
  const me = (gw: TestGateway, key: string) =>
    gw.inject({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': key } });

  /** How long after the change the second instance refuses `key` (Infinity: not within a second). */
  async function refusedOnSecondAfter(changedAt: number, key: string): Promise<number> {
    while (Date.now() - changedAt < 1_000) {
      if ((await me(ctx.second, key)).statusCode === 401) return Date.now() - changedAt;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return Infinity;
  }

  it('ends the ephemeral key within a second when its minter revokes it', async () => {
    const parent = await ctx.first.createKey({ scopes: ['generate', 'keys:mint'] });
    const minted = await ctx.first.inject({
      method: 'POST',
      url: '/v2/ephemeral-keys',
      headers: { 'x-api-key': parent.key },
      payload: { allowedOrigins: [ORIGIN], budget: { credits: 9 } },
    });
    const { key, id } = minted.json<{ key: string; id: string }>();
    for (const gw of [ctx.first, ctx.second]) expect((await me(gw, key)).statusCode).toBe(200);
    const url = `/v2/ephemeral-keys/${id}`;
    const revoked = await ctx.first.inject({ method: 'DELETE', url, headers: { 'x-api-key': parent.key } });
    expect(revoked.statusCode, revoked.body).toBe(204);
    expect(await refusedOnSecondAfter(Date.now(), key)).toBeLessThan(1_000);
    expect((await me(ctx.first, key)).statusCode).toBe(401);
    expect((await ctx.second.generate(key)).statusCode).toBe(401);
    expect((await me(ctx.first, parent.key)).statusCode, 'its minter goes on').toBe(200);
  });

  it.each([
    ['revoked', (id: string) => ({ method: 'DELETE' as const, url: `/admin/keys/${id}` })],
    [
      'rotated without grace',
      (id: string) => ({
        method: 'POST' as const,
        url: `/admin/keys/${id}/rotate`,
        payload: { gracePeriodSeconds: 0 },
      }),
    ],
  ])('ends the ephemeral key within a second when the parent is %s', async (_, change) => {
    const parent = await ctx.first.createKey({ scopes: ['generate', 'keys:mint'] });
    const key = await mint(ctx.first, parent, { budget: { credits: 9 } });
    // Both instances have the ephemeral key and its parent cached.
    for (const gw of [ctx.first, ctx.second]) expect((await me(gw, key)).statusCode).toBe(200);
    const changed = await ctx.first.inject({ ...change(parent.id), headers: admin });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(await refusedOnSecondAfter(Date.now(), key)).toBeLessThan(1_000);
    expect((await me(ctx.first, key)).statusCode).toBe(401);
    expect((await ctx.second.generate(key)).statusCode).toBe(401);
  });
});
