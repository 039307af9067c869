// Ephemeral browser keys end to end on Redis and the simulator: minted once by a keys:mint key
// (every bad request refused with nothing minted), used like a team key for submissions, its
// own jobs and /v2/me only, from its origins only, within its cap and maxJobs, to the second of
// its expiry; its spend filed under its parent key with its own id for drill-down.
import { Redis } from 'ioredis';
import { hashKey } from '../../src/services/key-secrets.js';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type CreatedKey, gatewayOnRedis, SEED_BODY, testClock } from '../helpers/gateway.js';

const clock = testClock(new Date().toISOString());
const ctx = gatewayOnRedis({ clock });
const ORIGIN = 'https://app.example.com';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

interface Minted {
  key: string;
  id: string;
  expiresAt: string;
}

const mintRequest = (key: string, payload: Record<string, unknown>) =>
  ctx.gw.inject({ method: 'POST', url: '/v2/ephemeral-keys', headers: { 'x-api-key': key }, payload });

async function mint(parent: CreatedKey, body: Record<string, unknown> = {}): Promise<Minted> {
  const response = await mintRequest(parent.key, { budget: { credits: 9 }, allowedOrigins: [ORIGIN], ...body });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

const minter = (body: Record<string, unknown> = {}) => ctx.gw.createKey({ scopes: ['generate', 'keys:mint'], ...body });
const auditCount = async () =>
  (await ctx.gw.inject({ method: 'GET', url: '/admin/audit?limit=500', headers: admin })).json().entries.length;
const call = (method: 'GET' | 'POST', url: string, key: string, payload?: object, origin?: string) =>
  ctx.gw.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}`, ...(origin && { origin }) },
    ...(payload && { payload }),
  });

describe('minting an ephemeral key', () => {
  it('answers the key once with its terms, and audits the mint under the parent without the secret', async () => {
    const parent = await minter();
    const response = await mintRequest(parent.key, {
      ttlSeconds: 600,
      budget: { credits: 9 },
      allowedOrigins: [ORIGIN, 'http://127.0.0.1:5173'],
      maxJobs: 2,
      metadata: { session: 'abc' },
    });
    expect(response.statusCode, response.body).toBe(201);
    const minted = response.json();
    expect(minted).toEqual({
      key: expect.stringMatching(/^gke_[A-Za-z0-9_-]{43}$/),
      id: expect.any(String),
      parentKeyId: parent.id,
      team: parent.team,
      expiresAt: new Date(clock() + 600_000).toISOString(),
      budget: { credits: 9 },
      allowedOrigins: [ORIGIN, 'http://127.0.0.1:5173'],
      allowedModels: null,
      maxJobs: 2,
      metadata: { session: 'abc' },
    });
    const audit = (await ctx.gw.inject({ method: 'GET', url: '/admin/audit?limit=5', headers: admin })).json();
    const entry = audit.entries.find((e: { action: string }) => e.action === 'ephemeral-key.mint');
    expect(entry).toMatchObject({ actor: `key:${parent.id}`, target: `key:${parent.id}` });
    expect(entry.after).toMatchObject({ id: minted.id, credits: 9 });
    expect(JSON.stringify(audit)).not.toContain(minted.key);
    expect(JSON.stringify(entry)).not.toMatch(/hash/i);
  });

  it('refuses each bad request with a clear 4xx and mints nothing', async () => {
    const parent = await minter({ budget: { credits: 10, period: 'month' }, allowedModels: ['seedream-4'] });
    const plain = await ctx.gw.createKey();
    const child = await mint(parent);
    const before = await auditCount();
    const good = { budget: { credits: 5 }, allowedOrigins: [ORIGIN] };
    const cases: [string, number, Record<string, unknown>][] = [
      [parent.key, 400, { ...good, ttlSeconds: 59 }],
      [parent.key, 400, { ...good, ttlSeconds: 3_601 }],
      [parent.key, 400, { ...good, budget: { credits: 12 } }],
      [parent.key, 400, { ...good, allowedOrigins: ['https://app.example.com/path'] }],
      [parent.key, 400, { ...good, allowedOrigins: ['https://*.example.com'] }],
      [parent.key, 400, { ...good, allowedOrigins: [] }],
      [parent.key, 400, { ...good, allowedModels: ['flux-pro'] }],
      [parent.key, 400, { ...good, surprise: true }],
      [plain.key, 403, good],
      [child.key, 403, good],
    ];
    for (const [key, status, payload] of cases) {
      const response = await mintRequest(key, payload);
      expect(response.statusCode, `${JSON.stringify(payload)}: ${response.body}`).toBe(status);
      expect(response.json().error).toEqual(expect.any(String));
    }
    expect(await auditCount()).toBe(before);
    const refusal = (await mintRequest(parent.key, { ...good, budget: { credits: 12 } })).json();
    expect(refusal.details).toEqual({ 'budget.credits': ['must be at most 10, what the parent key may still spend'] });
    expect((await mintRequest(plain.key, good)).json().error).toBe('This key lacks the "keys:mint" scope');
    expect((await mintRequest(child.key, good)).json().code).toBe('GW_EPHEMERAL_KEY_NOT_ALLOWED');
  });

  it('lets an admin mint one for a key, audited as the admin', async () => {
    const parent = await ctx.gw.createKey();
    const response = await ctx.gw.inject({
      method: 'POST',
      url: `/admin/keys/${parent.id}/ephemeral-keys`,
      headers: admin,
      payload: { budget: { credits: 9 }, allowedOrigins: [ORIGIN], ttlSeconds: 900 },
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ parentKeyId: parent.id, budget: { credits: 9 } });
    expect((await ctx.gw.generate(response.json().key)).statusCode).toBe(202);
    const audit = (await ctx.gw.inject({ method: 'GET', url: '/admin/audit?limit=5', headers: admin })).json();
    expect(audit.entries[0]).toMatchObject({ actor: 'admin-token', action: 'ephemeral-key.mint' });
  });
});

describe('using an ephemeral key', () => {
  it('submits, polls, lists and reads /v2/me like a team key, from its origins only', async () => {
    const parent = await minter();
    const { key, id } = await mint(parent);
    const submitted = await call('POST', '/v2/images/generate', key, SEED_BODY, ORIGIN);
    expect(submitted.statusCode, submitted.body).toBe(202);
    expect(submitted.headers['access-control-allow-origin']).toBe(ORIGIN);
    const { jobId } = submitted.json();
    expect((await call('GET', `/v2/jobs/${jobId}`, key, undefined, ORIGIN)).json()).toMatchObject({
      status: 'COMPLETED',
    });
    const listed = (await call('GET', '/v2/jobs', key)).json();
    expect(listed.jobs.map((job: { id: string }) => job.id)).toEqual([jobId]);
    const me = (await call('GET', '/v2/me', key)).json();
    expect(me.apiKey.id).toBe(id);
    expect(me.team.credits).toBe(6);
    const elsewhere = await call('POST', '/v2/images/generate', key, SEED_BODY, 'https://evil.example.com');
    expect(elsewhere.statusCode).toBe(403);
    expect((await call('GET', '/v2/me', key)).json().team.credits).toBe(6);
  });

  it('is refused everywhere else with 403', async () => {
    const { key } = await mint(await minter());
    for (const [method, url] of [
      ['GET', '/v2/usage'],
      ['GET', '/admin/keys'],
      ['GET', '/v2/loras'],
      ['POST', '/v2/uploads'],
    ] as const) {
      const response = await call(method, url, key);
      expect(response.statusCode, `${url}: ${response.body}`).toBe(403);
    }
  });

  it('sees only the jobs it created', async () => {
    const parent = await minter();
    const own = await mint(parent);
    const sibling = await mint(parent);
    const parentJob = (await ctx.gw.generate(parent.key)).json().jobId;
    const siblingJob = (await ctx.gw.generate(sibling.key)).json().jobId;
    const ownJob = (await ctx.gw.generate(own.key)).json().jobId;
    for (const jobId of [parentJob, siblingJob]) {
      const response = await ctx.gw.poll(own.key, jobId);
      expect(response.statusCode).toBe(404);
      expect(response.json().error).toBe('Job not found');
    }
    const teamScope = (await call('GET', '/v2/jobs?scope=team', own.key)).json();
    expect(teamScope.jobs.map((job: { id: string }) => job.id)).toEqual([ownJob]);
    const searched = (await call('GET', `/v2/jobs?search=${siblingJob}`, own.key)).json();
    expect(searched.jobs).toEqual([]);
    const parentList = (await call('GET', '/v2/jobs', parent.key)).json();
    expect(parentList.jobs).toHaveLength(3);
  });

  it('keeps its own list of jobs in Redis only as long as it lives', async () => {
    const parent = await minter();
    const own = await mint(parent, { ttlSeconds: 120 });
    expect((await ctx.gw.generate(own.key)).statusCode).toBe(202);
    const redis = new Redis(ctx.redis.url);
    try {
      const listed = `gw:{t:${parent.team}}:jobs:eph:${own.id}`;
      expect(await redis.zcard(listed)).toBe(1);
      expect(await redis.call('PEXPIRETIME', listed)).toBe(Date.parse(own.expiresAt));
    } finally {
      redis.disconnect();
    }
  });

  it('stops at its cap and at maxJobs with a 402, nothing more charged', async () => {
    const parent = await minter();
    const capped = await mint(parent, { budget: { credits: 7 } });
    expect((await ctx.gw.generate(capped.key)).statusCode).toBe(202);
    expect((await ctx.gw.generate(capped.key)).statusCode).toBe(202);
    const over = await ctx.gw.generate(capped.key);
    expect(over.statusCode, over.body).toBe(402);
    expect(over.json()).toMatchObject({ creditsRequired: 3, creditsAvailable: 1 });
    const counted = await mint(parent, { maxJobs: 1 });
    expect((await ctx.gw.generate(counted.key)).statusCode).toBe(202);
    const past = await ctx.gw.generate(counted.key);
    expect(past.statusCode).toBe(402);
    expect(past.json()).toMatchObject({ error: 'Insufficient credits', creditsRequired: 3, creditsAvailable: 0 });
    expect((await ctx.gw.spend(parent)).total).toBe(9);
  });

  it('stops working at its expiry, to the second', async () => {
    const { key } = await mint(await minter(), { ttlSeconds: 60 });
    clock.advance(59_000);
    expect((await call('GET', '/v2/me', key)).statusCode).toBe(200);
    clock.advance(1_000);
    const expired = await call('GET', '/v2/me', key);
    expect(expired.statusCode).toBe(401);
    expect((await ctx.gw.generate(key)).statusCode).toBe(401);
  });

  it('stops with its parent: revoked, expired, or rotated without grace (but not within a grace period)', async () => {
    const inAMinute = new Date(clock() + 60_000).toISOString();
    const [revoked, expiring, rotated, graced] = await Promise.all([
      minter(),
      minter({ expiresAt: inAMinute }),
      minter(),
      minter(),
    ]);
    const keys = await Promise.all([revoked, expiring, rotated, graced].map((parent) => mint(parent)));
    await ctx.gw.inject({ method: 'DELETE', url: `/admin/keys/${revoked.id}`, headers: admin });
    const rotate = (id: string, gracePeriodSeconds: number) =>
      ctx.gw.inject({
        method: 'POST',
        url: `/admin/keys/${id}/rotate`,
        headers: admin,
        payload: { gracePeriodSeconds },
      });
    await rotate(rotated.id, 0);
    await rotate(graced.id, 3_600);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await call('GET', '/v2/me', keys[0]!.key)).statusCode).toBe(401);
    expect((await call('GET', '/v2/me', keys[2]!.key)).statusCode).toBe(401);
    expect((await call('GET', '/v2/me', keys[3]!.key)).statusCode).toBe(200);
    expect((await call('GET', '/v2/me', keys[1]!.key)).statusCode).toBe(200);
    clock.advance(60_000);
    expect((await call('GET', '/v2/me', keys[1]!.key)).statusCode).toBe(401);
  });

  it('files its spend under its parent key in reports and the ledger, with its own id for drill-down', async () => {
    const parent = await minter();
    const child = await mint(parent);
    for (const key of [child.key, parent.key]) {
      const { jobId } = (await ctx.gw.generate(key)).json();
      expect((await ctx.gw.poll(key, jobId)).json().status).toBe('COMPLETED');
    }
    const get = (url: string) => ctx.gw.inject({ method: 'GET', url, headers: admin });
    const report = (await get(`/admin/usage?team=${parent.team}&groupBy=key`)).json();
    expect(report.rows).toHaveLength(1);
    expect(report.rows[0]).toMatchObject({ key: parent.id, credits: 6 });
    const events = (await get(`/admin/usage/events?team=${parent.team}`)).json().events;
    expect(events.every((event: { keyId: string }) => event.keyId === parent.id)).toBe(true);
    const own = events.filter((event: { ephemeral?: string }) => event.ephemeral === child.id);
    expect(own.map((event: { kind: string }) => event.kind)).toEqual(['reserve', 'settle']);
    const csv = (await get(`/admin/usage/events?team=${parent.team}&ephemeral=${child.id}&format=csv`)).body;
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('id,ts,day,team,kind,keyId,model,credits,jobId,reservationId,requestId,note');
    expect(lines).toHaveLength(3);
    expect(lines.slice(1).every((line) => line.includes(parent.id))).toBe(true);
  });
});

/** Waits until `ask` is answered 401, failing after `ms`. */
async function refusedWithin(ms: number, ask: () => Promise<{ statusCode: number }>): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await ask()).statusCode !== 401) {
    expect(Date.now(), 'refused in time').toBeLessThan(deadline);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('revoking an ephemeral key', () => {
  const revoke = (id: string, headers: Record<string, string>) =>
    ctx.gw.inject({ method: 'DELETE', url: `/v2/ephemeral-keys/${id}`, headers });

  it('ends it at once for its minter, audited without the secret, its jobs still settled', async () => {
    const parent = await minter();
    const { key, id } = await mint(parent);
    const submitted = await call('POST', '/v2/images/generate', key, SEED_BODY);
    expect(submitted.statusCode, submitted.body).toBe(202);
    const revoked = await revoke(id, { 'x-api-key': parent.key });
    expect(revoked.statusCode, revoked.body).toBe(204);
    expect(revoked.body).toBe('');
    // Every instance, this one included, hears of it on the change channel within a second.
    await refusedWithin(1_000, () => call('GET', '/v2/me', key));
    expect((await call('POST', '/v2/images/generate', key, SEED_BODY)).statusCode).toBe(401);
    const job = await ctx.gw.poll(parent.key, submitted.json().jobId);
    expect(job.json()).toMatchObject({ status: 'COMPLETED' });
    const audit = (await ctx.gw.inject({ method: 'GET', url: '/admin/audit?limit=5', headers: admin })).json();
    const entry = audit.entries.find((e: { action: string }) => e.action === 'ephemeral-key.revoke');
    expect(entry).toMatchObject({ actor: `key:${parent.id}`, target: `key:${parent.id}`, before: { id }, after: null });
    expect(JSON.stringify(audit)).not.toContain(key);
    expect(JSON.stringify(audit)).not.toContain(hashKey(key));
    expect(entry.before).not.toHaveProperty('hash');
    expect(entry.before).not.toHaveProperty('parentHash');
    expect((await revoke(id, { 'x-api-key': parent.key })).statusCode, 'a second revoke').toBe(404);
  });

  it('is not found for another minter, an unknown id or an expired key; 403 from the key itself; 400 for no uuid', async () => {
    const parent = await minter();
    const other = await minter({ team: parent.team });
    const unscoped = await ctx.gw.createKey({ team: parent.team });
    const { key, id } = await mint(parent, { ttlSeconds: 60 });
    const before = await auditCount();
    expect((await revoke(id, { 'x-api-key': other.key })).statusCode).toBe(404);
    expect((await revoke(crypto.randomUUID(), { 'x-api-key': parent.key })).statusCode).toBe(404);
    expect((await revoke(id, { 'x-api-key': key })).statusCode).toBe(403);
    expect((await revoke('not-a-uuid', { 'x-api-key': parent.key })).statusCode).toBe(400);
    expect((await revoke(id, { 'x-api-key': unscoped.key })).statusCode).toBe(403);
    expect((await call('GET', '/v2/me', key)).statusCode, 'still working').toBe(200);
    expect(await auditCount()).toBe(before);
    // Redis drops the record at its expiry, by its own clock: past it, the id is unknown.
    const expired = await mint(parent, { ttlSeconds: 60 });
    const redis = new Redis(ctx.redis.url);
    await redis.pexpire(`gw:{keys}:eph:${expired.id}`, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    redis.disconnect();
    expect((await revoke(expired.id, { 'x-api-key': parent.key })).statusCode).toBe(404);
  });

  it('lets an admin revoke one of a key’s, audited as the admin, and not another key’s', async () => {
    const parent = await minter();
    const other = await minter();
    const { key, id } = await mint(parent);
    const url = (keyId: string) => `/admin/keys/${keyId}/ephemeral-keys/${id}`;
    expect((await ctx.gw.inject({ method: 'DELETE', url: url(other.id), headers: admin })).statusCode).toBe(404);
    const revoked = await ctx.gw.inject({ method: 'DELETE', url: url(parent.id), headers: admin });
    expect(revoked.statusCode, revoked.body).toBe(204);
    await refusedWithin(1_000, () => call('GET', '/v2/me', key));
    const audit = (await ctx.gw.inject({ method: 'GET', url: '/admin/audit?limit=5', headers: admin })).json();
    expect(audit.entries[0]).toMatchObject({ actor: 'admin-token', action: 'ephemeral-key.revoke' });
  });
});
