import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../../src/services/key-secrets.js';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { monitorRedis } from '../helpers/redis-monitor.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import {
  ADMIN_TOKEN,
  SEED_BODY,
  startGateway,
  testClock,
  uniqueTeam,
  UPSTREAM_KEY,
  type TestGateway,
} from '../helpers/gateway.js';

let redis: RedisServer;
let sim: Simulator;
let first: TestGateway;
let second: TestGateway;
const clock = testClock('2026-11-25T12:00:00.000Z');
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0, prices: { 'seedream-4': 3 } });
  first = await startGateway({ sim, redisUrl: redis.url, clock });
  second = await startGateway({ sim, redisUrl: redis.url, clock });
});
afterAll(async () => {
  await first.close();
  await second.close();
  await sim.close();
  await redis.destroy();
});

/** Every command Redis runs (scripts' included) until `stop`, which waits for all run so far. */
async function watchCommands() {
  const seen: string[][] = [];
  const monitor = await monitorRedis(redis.url, ({ args }) => seen.push(args));
  const marker = `end-of-watch-${Date.now()}`;
  return {
    async stop() {
      const client = new Redis(redis.url);
      await client.echo(marker);
      client.disconnect();
      while (!seen.some((args) => args.includes(marker))) await new Promise((resolve) => setTimeout(resolve, 5));
      monitor.stop();
      return seen;
    },
  };
}

const me = (gw: TestGateway, key: string) => gw.inject({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': key } });
const patch = (id: string, payload: object) =>
  first.inject({ method: 'PATCH', url: `/admin/keys/${id}`, headers: admin, payload });

describe('key lifecycle across two gateway instances', () => {
  it('create → use → rotate (old secret works during the grace period only) → revoke (refused everywhere within 1 s)', async () => {
    const created = await first.createKey({ budget: { credits: 30, period: 'month' } });
    expect((await first.generate(created.key)).statusCode).toBe(202);
    expect((await me(second, created.key)).statusCode).toBe(200);

    const rotated = await first.inject({
      method: 'POST',
      url: `/admin/keys/${created.id}/rotate`,
      headers: admin,
      payload: { gracePeriodSeconds: 60 },
    });
    expect(rotated.statusCode).toBe(200);
    const { key: newSecret, ...view } = rotated.json();
    expect(newSecret).not.toBe(created.key);
    expect(view).toMatchObject({ id: created.id, spent: 3, previousKeyValidUntil: '2026-11-25T12:01:00.000Z' });

    for (const gw of [first, second]) {
      expect((await me(gw, newSecret)).statusCode).toBe(200);
      expect((await me(gw, created.key)).statusCode).toBe(200);
    }
    clock.advance(60_000);
    for (const gw of [first, second]) {
      expect((await me(gw, newSecret)).statusCode).toBe(200);
      expect((await me(gw, created.key)).json()).toMatchObject({ error: 'Invalid API key' });
    }
    expect((await second.generate(newSecret)).statusCode).toBe(202);
    expect(
      (await first.inject({ method: 'GET', url: `/admin/keys/${created.id}`, headers: admin })).json(),
    ).toMatchObject({ spent: 6 });

    const revokedAt = Date.now();
    expect(
      (await first.inject({ method: 'DELETE', url: `/admin/keys/${created.id}`, headers: admin })).statusCode,
    ).toBe(200);
    let refusedAfter = -1;
    while (Date.now() - revokedAt < 1_000) {
      if ((await me(second, newSecret)).statusCode === 401) {
        refusedAfter = Date.now() - revokedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(refusedAfter).toBeGreaterThanOrEqual(0);
    expect((await me(second, newSecret)).json()).toMatchObject({ error: 'API key revoked' });
    console.log(`revocation refused on the second instance after ${refusedAfter} ms`);
  });

  it('serves repeated lookups from the cache and still sees a rotation without grace at once', async () => {
    const created = await first.createKey();
    expect((await me(second, created.key)).statusCode).toBe(200);
    const commands = await watchCommands();
    for (let i = 0; i < 10; i++) expect((await me(second, created.key)).statusCode).toBe(200);
    expect((await commands.stop()).filter((args) => args.some((arg) => arg.includes(hashKey(created.key))))).toEqual(
      [],
    );
    const rotated = await first.inject({
      method: 'POST',
      url: `/admin/keys/${created.id}/rotate`,
      headers: admin,
      payload: {},
    });
    const started = Date.now();
    while ((await me(second, created.key)).statusCode !== 401) {
      expect(Date.now() - started).toBeLessThan(1_000);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect((await me(second, rotated.json().key)).statusCode).toBe(200);
  });

  it('refuses to change a revoked key', async () => {
    const created = await first.createKey();
    await first.inject({ method: 'DELETE', url: `/admin/keys/${created.id}`, headers: admin });
    expect((await patch(created.id, { name: 'again' })).statusCode).toBe(409);
    const rotate = await first.inject({
      method: 'POST',
      url: `/admin/keys/${created.id}/rotate`,
      headers: admin,
      payload: {},
    });
    expect(rotate.statusCode).toBe(409);
    expect(rotate.json()).toMatchObject({ code: 'GW_KEY_IS_REVOKED' });
  });
});

describe('a change subscription gone silent', () => {
  it('bypasses the cache within a second when the subscriber connection is half-open (no close, no message)', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: redis.port });
    const third = await startGateway({ sim, redisUrl: `redis://127.0.0.1:${proxy.port}`, clock });
    try {
      const created = await first.createKey();
      while (!third.app.services.store.changesLive()) await new Promise((resolve) => setTimeout(resolve, 5));
      expect((await me(third, created.key)).statusCode).toBe(200);
      (await subscriberThrough(proxy)).silence();
      const revokedAt = Date.now();
      expect(
        (await first.inject({ method: 'DELETE', url: `/admin/keys/${created.id}`, headers: admin })).statusCode,
      ).toBe(200);
      while ((await me(third, created.key)).statusCode !== 401) {
        expect(Date.now() - revokedAt).toBeLessThan(1_000);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      await third.close();
      await proxy.close();
    }
  });
});

/** The proxied connection Redis lists as a pub/sub client: the gateway's change subscriber. */
async function subscriberThrough(proxy: TcpProxy) {
  const client = new Redis(redis.url);
  const list = (await client.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
  client.disconnect();
  const ports = [...list.matchAll(/addr=[\d.]+:(\d+)/g)].map((match) => Number(match[1]));
  const [subscriber, ...others] = proxy.connections.filter((connection) => ports.includes(connection.upstreamPort));
  expect(subscriber).toBeDefined();
  expect(others).toEqual([]);
  return subscriber!;
}

describe('key settings', () => {
  it('updates name, budget, expiry and metadata, and shows spend and what remains', async () => {
    const created = await first.createKey();
    await first.generate(created.key);
    const updated = await patch(created.id, {
      name: 'renamed',
      budget: { credits: 10, period: 'week' },
      expiresAt: '2027-01-01T00:00:00Z',
      metadata: { costCentre: 'cc-42' },
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({
      name: 'renamed',
      budget: { credits: 10, period: 'week' },
      expiresAt: '2027-01-01T00:00:00.000Z',
      metadata: { costCentre: 'cc-42' },
      window: '2026-W48',
      spent: 3,
      remaining: 7,
      status: 'active',
    });
    const cleared = await patch(created.id, { budget: null, expiresAt: null });
    expect(cleared.json()).toMatchObject({ budget: null, expiresAt: null, remaining: null, window: 'total' });
  });

  it('refuses generation to a key without the generate scope (403) and accepts it once granted', async () => {
    const created = await first.createKey({ scopes: ['usage:read'] });
    const refused = await first.generate(created.key);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({ error: 'This key lacks the "generate" scope', code: 'GW_SCOPE_DENIED' });
    await patch(created.id, { scopes: ['generate', 'usage:read'] });
    expect((await first.generate(created.key)).statusCode).toBe(202);
  });

  it('refuses a model the key is not allowed, naming it', async () => {
    const created = await first.createKey({ allowedModels: [] });
    const refused = await first.generate(created.key, SEED_BODY);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({
      error: 'Model seedream-4 is not allowed for this key',
      code: 'GW_MODEL_NOT_ALLOWED',
    });
    expect((await first.spend(created)).total).toBe(0);
    await patch(created.id, { allowedModels: ['seedream-4'] });
    expect((await first.generate(created.key)).statusCode).toBe(202);
  });

  it('rejects unknown models, bad origins and unknown fields with 400', async () => {
    const created = await first.createKey();
    const response = await patch(created.id, { allowedModels: ['dall-e-9'] });
    expect(response.statusCode).toBe(400);
    expect(response.json().details.allowedModels[0]).toContain('unknown model dall-e-9');
    const origins = await patch(created.id, { allowedOrigins: ['https://app.example.com/path'] });
    expect(Object.keys(origins.json().details)).toEqual(['allowedOrigins.0']);
    expect((await patch(created.id, { team: 'elsewhere' })).json().details).toEqual({
      team: ['is not a recognised field'],
    });
    expect((await patch(created.id, {})).statusCode).toBe(400);
  });

  it('lets a key with the admin scope use the admin API, and no other key', async () => {
    const adminKey = await first.createKey({ scopes: ['admin'] });
    const plainKey = await first.createKey();
    const asAdmin = await first.inject({
      method: 'GET',
      url: '/admin/teams',
      headers: { authorization: `Bearer ${adminKey.key}` },
    });
    expect(asAdmin.statusCode).toBe(200);
    const asPlain = await first.inject({ method: 'GET', url: '/admin/teams', headers: { 'x-api-key': plainKey.key } });
    expect(asPlain.statusCode).toBe(403);
    expect(asPlain.json()).toMatchObject({ error: 'This key lacks the "admin" scope' });
  });
});

describe('listing keys', () => {
  it('filters by team and status and pages with a cursor', async () => {
    const team = uniqueTeam();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await first.createKey({ team, name: `k${i}` })).id);
    await first.inject({ method: 'DELETE', url: `/admin/keys/${ids[1]}`, headers: admin });
    const list = (query: string) => first.inject({ method: 'GET', url: `/admin/keys?${query}`, headers: admin });

    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 5; page++) {
      const body = (await list(`team=${team}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
      seen.push(...body.keys.map((k: { id: string }) => k.id));
      if (!body.hasMore) break;
      cursor = body.nextCursor;
    }
    expect([...seen].sort()).toEqual([...ids].sort());
    expect(new Set(seen).size).toBe(5);

    const revoked = (await list(`team=${team}&status=revoked`)).json().keys;
    expect(revoked.map((k: { id: string }) => k.id)).toEqual([ids[1]]);
    expect((await list(`team=${team}&status=active`)).json().keys).toHaveLength(4);
    expect((await list('cursor=bogus')).statusCode).toBe(400);
  });

  it('answers 404 for an unknown key', async () => {
    const response = await first.inject({
      method: 'GET',
      url: '/admin/keys/00000000-0000-4000-8000-000000000000',
      headers: admin,
    });
    expect(response.statusCode).toBe(404);
  });
});
