import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { SEED_BODY, startGateway, uniqueTeam, type CreatedKey, type TestGateway } from '../helpers/gateway.js';

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.destroy();
});

describe.each(['redis', 'memory'] as const)('job visibility (%s store)', (storeKind) => {
  let gw: TestGateway;
  let teamA1: CreatedKey;
  let teamA2: CreatedKey;
  let teamB: CreatedKey;

  const list = (key: string, query = '') =>
    gw.inject({ method: 'GET', url: `/v2/jobs${query}`, headers: { 'x-api-key': key } });

  beforeAll(async () => {
    gw = await startGateway(storeKind === 'redis' ? { redisUrl: redis.url } : {});
    const teamA = uniqueTeam();
    teamA1 = await gw.createKey({ team: teamA, name: 'a1' });
    teamA2 = await gw.createKey({ team: teamA, name: 'a2' });
    teamB = await gw.createKey({ name: 'b' });
  });
  afterAll(async () => {
    await gw.close();
  });

  it("gives 404 for another team's job, exactly as for an unknown id", async () => {
    const { jobId } = (await gw.generate(teamB.key)).json();
    const foreign = await gw.poll(teamA1.key, jobId);
    const unknown = await gw.poll(teamA1.key, '3f0c9a1e-6b1d-4c2a-9f5e-1c2d3e4f5a6b');
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toEqual({ error: 'Job not found', code: 'GW_JOB_NOT_FOUND' });
    expect(unknown.json()).toEqual(foreign.json());
    expect((await gw.poll(teamB.key, jobId)).statusCode).toBe(200);
  });

  it("lets a team's keys read each other's jobs", async () => {
    const { jobId } = (await gw.generate(teamA1.key)).json();
    expect((await gw.poll(teamA2.key, jobId)).statusCode).toBe(200);
  });

  it("lists the caller's own jobs, or the team's with scope=team, never another team's", async () => {
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push((await gw.generate(teamA2.key)).json().jobId);
    const other = (await gw.generate(teamB.key)).json().jobId;

    const own = (await list(teamA2.key)).json();
    expect(own.jobs.map((j: { id: string }) => j.id).sort()).toEqual([...mine].sort());
    expect(own).toMatchObject({ hasMore: false, nextCursor: null });

    const team = (await list(teamA2.key, '?scope=team')).json();
    const teamIds = team.jobs.map((j: { id: string }) => j.id);
    expect(teamIds).toEqual(expect.arrayContaining(mine));
    expect(teamIds.length).toBeGreaterThan(mine.length);
    expect(teamIds).not.toContain(other);
  });

  it('pages with a cursor, newest first, without gaps or repeats', async () => {
    const key = await gw.createKey();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await gw.generate(key.key)).json().jobId);
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 5; page++) {
      const body = (await list(key.key, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`)).json();
      seen.push(...body.jobs.map((j: { id: string }) => j.id));
      if (!body.hasMore) break;
      cursor = body.nextCursor;
    }
    const unpaged = (await list(key.key, '?limit=100')).json().jobs.map((j: { id: string }) => j.id);
    expect(seen).toEqual(unpaged);
    expect([...seen].sort()).toEqual([...ids].sort());
  });

  it('filters by status and model and finds one job by id', async () => {
    const key = await gw.createKey();
    const done = (await gw.generate(key.key)).json().jobId;
    const failed = (await gw.generate(key.key, { ...SEED_BODY, prompt: 'x [sim:fail]' })).json().jobId;
    const byStatus = (await list(key.key, '?status=FAILED')).json();
    expect(byStatus.jobs.map((j: { id: string }) => j.id)).toEqual([failed]);
    expect((await list(key.key, '?model=seedream-3')).json().jobs).toEqual([]);
    const found = (await list(key.key, `?search=${done}`)).json();
    expect(found.jobs.map((j: { id: string }) => j.id)).toEqual([done]);
    expect((await list(teamB.key, `?search=${done}`)).json().jobs).toEqual([]);
  });

  it('settles the jobs a listing shows as terminal', async () => {
    const key = await gw.createKey();
    await gw.generate(key.key, { ...SEED_BODY, prompt: 'x [sim:fail]' });
    expect((await gw.spend(key)).total).toBe(3);
    await list(key.key);
    expect((await gw.spend(key)).total).toBe(0);
  });

  it('rejects a forged cursor and bad parameters with 400', async () => {
    expect((await list(teamA1.key, '?cursor=bm90LWEtY3Vyc29y')).statusCode).toBe(400);
    expect((await list(teamA1.key, '?limit=500')).statusCode).toBe(400);
    expect((await list(teamA1.key, '?status=DONE')).statusCode).toBe(400);
  });

  it('names the enabled models when asked', async () => {
    expect((await list(teamA1.key, '?include_models=true')).json().models).toEqual(['seedream-4']);
  });
});

describe('GET /v2/jobs?include_models=true', () => {
  it('names the models the key may run: priced by the gateway, offered, and among its allowedModels', async () => {
    const gw = await startGateway({
      env: { PRICING: '{"seedream-4":3,"midjourney":5,"kling-2.6":7}', ENABLED_MODELS: 'image' },
    });
    try {
      const models = async (key: CreatedKey) =>
        (
          await gw.inject({ method: 'GET', url: '/v2/jobs?include_models=true', headers: { 'x-api-key': key.key } })
        ).json().models;
      expect(await models(await gw.createKey())).toEqual(['midjourney', 'seedream-4']);
      expect(await models(await gw.createKey({ allowedModels: ['midjourney'] }))).toEqual(['midjourney']);
    } finally {
      await gw.close();
    }
  });
});
