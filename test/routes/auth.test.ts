import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { ADMIN_TOKEN, gatewayOnRedis, SEED_BODY, testClock, UPSTREAM_KEY } from '../helpers/gateway.js';

const clock = testClock('2026-11-25T12:00:00.000Z');
const ctx = gatewayOnRedis({ clock });

const me = (headers: Record<string, string>) => ctx.gw.inject({ method: 'GET', url: '/v2/me', headers });

describe('team key authentication', () => {
  it('accepts the key as X-API-Key and as a Bearer token', async () => {
    const key = await ctx.gw.createKey();
    expect((await me({ 'x-api-key': key.key })).statusCode).toBe(200);
    expect((await me({ authorization: `Bearer ${key.key}` })).statusCode).toBe(200);
  });

  it('answers 401 without a key', async () => {
    const response = await ctx.gw.generate('', SEED_BODY);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: 'Missing API key', code: 'GW_UNAUTHORIZED' });
  });

  it.each([
    ['an unknown key', `gk_${'A'.repeat(43)}`],
    ['a malformed key', 'not-a-key'],
    ['the upstream key itself', UPSTREAM_KEY],
  ])('answers 401 for %s without echoing it', async (_name, presented) => {
    const before = ctx.gw.sim.requests.length;
    const response = await ctx.gw.generate(presented, SEED_BODY);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: 'Invalid API key', code: 'GW_INVALID_KEY' });
    expect(response.body).not.toContain(presented);
    expect(ctx.gw.sim.requests.length).toBe(before);
  });

  it('answers 401 for a revoked key, and revoking is idempotent', async () => {
    const key = await ctx.gw.createKey();
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const revoked = await ctx.gw.inject({ method: 'DELETE', url: `/admin/keys/${key.id}`, headers: admin });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ id: key.id, status: 'revoked' });
    expect((await ctx.gw.inject({ method: 'DELETE', url: `/admin/keys/${key.id}`, headers: admin })).statusCode).toBe(
      200,
    );
    const response = await ctx.gw.generate(key.key, SEED_BODY);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: 'API key revoked' });
  });

  it('answers 401 once a key has expired (injected clock)', async () => {
    const key = await ctx.gw.createKey({ expiresAt: '2026-11-26T00:00:00.000Z' });
    expect((await me({ 'x-api-key': key.key })).statusCode).toBe(200);
    clock.set('2026-11-26T00:00:00.000Z');
    const response = await me({ 'x-api-key': key.key });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: 'API key expired' });
    clock.set('2026-11-25T12:00:00.000Z');
  });
});

describe('admin API', () => {
  it('creates a key whose secret appears only in the create answer', async () => {
    const response = await ctx.gw.inject({
      method: 'POST',
      url: '/admin/keys',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { name: 'frontend', team: 'marketing', budget: { credits: 30, period: 'month' } },
    });
    expect(response.statusCode).toBe(201);
    const created = response.json();
    expect(created).toMatchObject({ name: 'frontend', team: 'marketing', budget: { credits: 30, period: 'month' } });
    expect(created.key).toMatch(/^gk_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(created.hash).toBeUndefined();

    const list = await ctx.gw.inject({
      method: 'GET',
      url: '/admin/keys',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(created.key);
    const listed = list.json().keys.find((k: { id: string }) => k.id === created.id);
    expect(listed).toMatchObject({ status: 'active', spent: 0, remaining: 30, prefix: created.prefix });
    expect(listed.hash).toBeUndefined();
  });

  it('stores only the SHA-256 of a key', async () => {
    const key = await ctx.gw.createKey();
    const stored = await ctx.gw.app.services.store.getKey(key.id);
    expect(JSON.stringify(stored)).not.toContain(key.key);
    expect(stored?.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['no token', {}, 'GW_ADMIN_UNAUTHORIZED'],
    ['a wrong token', { authorization: 'Bearer wrong-token-0123456789' }, 'GW_ADMIN_UNAUTHORIZED'],
    ['an unknown team key', { authorization: `Bearer gk_${'B'.repeat(43)}` }, 'GW_INVALID_KEY'],
  ])('refuses %s with 401', async (_name, headers, code) => {
    const response = await ctx.gw.inject({ method: 'GET', url: '/admin/keys', headers });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code });
  });

  it('validates new keys', async () => {
    const response = await ctx.gw.inject({
      method: 'POST',
      url: '/admin/keys',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { name: '', team: 'a team with spaces', budget: { credits: -1, period: 'year' } },
    });
    expect(response.statusCode).toBe(400);
    expect(Object.keys(response.json().details).sort()).toEqual(['budget.credits', 'budget.period', 'name', 'team']);
  });

  it('answers 404 for revoking an unknown key', async () => {
    const response = await ctx.gw.inject({
      method: 'DELETE',
      url: '/admin/keys/00000000-0000-4000-8000-000000000000',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.statusCode).toBe(404);
  });

  it('has no admin routes at all without ADMIN_TOKEN', async () => {
    const config = loadConfig({
      APIFRAME_API_KEY: UPSTREAM_KEY,
      APIFRAME_BASE_URL: ctx.gw.sim.url,
      LOG_LEVEL: 'silent',
    });
    const app = await buildApp(config, { reconcile: false });
    try {
      const response = await app.inject({
        method: 'GET',
        url: '/admin/keys',
        headers: { authorization: 'Bearer anything-at-all-here' },
      });
      expect(response.statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });
});
