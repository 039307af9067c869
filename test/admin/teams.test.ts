import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
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
let gw: TestGateway;
const clock = testClock('2026-11-30T22:00:00.000Z');
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0, prices: { 'seedream-4': 3 } });
  gw = await startGateway({ sim, redisUrl: redis.url, clock });
});
afterAll(async () => {
  await gw.close();
  await sim.close();
  await redis.destroy();
});

const createTeam = (payload: object) => gw.inject({ method: 'POST', url: '/admin/teams', headers: admin, payload });
const getTeam = (id: string) => gw.inject({ method: 'GET', url: `/admin/teams/${id}`, headers: admin });
const patchTeam = (id: string, payload: object) =>
  gw.inject({ method: 'PATCH', url: `/admin/teams/${id}`, headers: admin, payload });

describe('teams', () => {
  it('creates a team with an explicit budget, or an explicit null for unlimited', async () => {
    const id = uniqueTeam();
    const created = await createTeam({ id, name: 'Marketing', budget: { credits: 30, period: 'month' } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      id,
      name: 'Marketing',
      budget: { credits: 30, period: 'month' },
      window: '2026-11',
      spent: 0,
      remaining: 30,
    });
    expect((await createTeam({ id, budget: null })).statusCode).toBe(409);
    const missingBudget = await createTeam({ id: uniqueTeam() });
    expect(missingBudget.statusCode).toBe(400);
    expect(missingBudget.json().details).toEqual({ budget: ['is required'] });
    const unlimited = await createTeam({ id: uniqueTeam(), budget: null });
    expect(unlimited.json()).toMatchObject({ budget: null, remaining: null });
  });

  it('gives each team a UUID of its own that never changes, shown by every instance and by /v2/me', async () => {
    const id = uniqueTeam();
    const created = (await createTeam({ id, name: 'Design', budget: null })).json();
    expect(created.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const implicit = await gw.createKey();
    const other = await startGateway({ sim, redisUrl: redis.url, clock });
    try {
      const [secondUuid, firstUuid] = await Promise.all([other.teamUuid(implicit.team), gw.teamUuid(implicit.team)]);
      expect(secondUuid).toBe(firstUuid);
      expect(firstUuid).not.toBe(created.uuid);
      expect(await other.teamUuid(id)).toBe(created.uuid);
      await patchTeam(id, { name: 'Renamed' });
      expect((await getTeam(id)).json()).toMatchObject({ id, name: 'Renamed', uuid: created.uuid });
      const listed = (await gw.inject({ method: 'GET', url: '/admin/teams', headers: admin })).json().teams;
      expect(listed.find((team: { id: string }) => team.id === id).uuid).toBe(created.uuid);
      const me = await other.inject({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': implicit.key } });
      expect(me.json().team).toMatchObject({ id: firstUuid, name: implicit.team });
    } finally {
      await other.close();
    }
  });

  it('creates a team implicitly, unlimited, when a key names it first', async () => {
    const key = await gw.createKey();
    expect((await getTeam(key.team)).json()).toMatchObject({ id: key.team, budget: null, remaining: null });
    const listed = (await gw.inject({ method: 'GET', url: '/admin/teams', headers: admin })).json().teams;
    expect(listed.map((t: { id: string }) => t.id)).toContain(key.team);
  });

  it('shares the team budget across its keys: 50 concurrent calls on two keys, exactly 10 succeed', async () => {
    const team = uniqueTeam();
    await createTeam({ id: team, budget: { credits: 30, period: 'day' } });
    const keys = [await gw.createKey({ team }), await gw.createKey({ team })];
    const before = sim.requests.length;
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => gw.generate(keys[i % 2]!.key)));
    expect(responses.filter((r) => r.statusCode === 202)).toHaveLength(10);
    expect(responses.filter((r) => r.statusCode === 402)).toHaveLength(40);
    expect(sim.requests.slice(before).filter((r) => r.method === 'POST')).toHaveLength(10);
    expect((await getTeam(team)).json()).toMatchObject({ spent: 30, remaining: 0 });
    const spends = await Promise.all(keys.map((key) => gw.spend(key)));
    expect(spends[0]!.day + spends[1]!.day).toBe(30);
  });

  it('blocks new work when the budget is lowered below spend, without rewriting history', async () => {
    const team = uniqueTeam();
    await createTeam({ id: team, budget: { credits: 30, period: 'total' } });
    const key = await gw.createKey({ team });
    await gw.generate(key.key);
    await gw.generate(key.key);
    const lowered = await patchTeam(team, { budget: { credits: 3, period: 'total' } });
    expect(lowered.json()).toMatchObject({ spent: 6, remaining: 0 });
    const refused = await gw.generate(key.key);
    expect(refused.statusCode).toBe(402);
    expect(refused.json()).toMatchObject({ creditsRequired: 3, creditsAvailable: 0 });
    expect((await gw.spend(key)).total).toBe(6);
    const me = await gw.inject({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': key.key } });
    expect(me.json().team.credits).toBe(0);
  });

  it('resets a monthly team budget at the UTC month boundary', async () => {
    const team = uniqueTeam();
    await createTeam({ id: team, budget: { credits: 3, period: 'month' } });
    const key = await gw.createKey({ team });
    clock.set('2026-11-30T23:59:59.000Z');
    expect((await gw.generate(key.key)).statusCode).toBe(202);
    expect((await gw.generate(key.key)).statusCode).toBe(402);
    clock.set('2026-12-01T00:00:00.000Z');
    expect((await gw.generate(key.key)).statusCode).toBe(202);
    expect((await getTeam(team)).json()).toMatchObject({ window: '2026-12', spent: 3, remaining: 0 });
    clock.set('2026-11-30T22:00:00.000Z');
  });

  it('resets a weekly team budget on Monday (UTC)', async () => {
    const team = uniqueTeam();
    await createTeam({ id: team, budget: { credits: 3, period: 'week' } });
    const key = await gw.createKey({ team });
    clock.set('2026-11-29T23:00:00.000Z');
    expect((await gw.generate(key.key)).statusCode).toBe(202);
    expect((await gw.generate(key.key)).statusCode).toBe(402);
    clock.set('2026-11-30T00:00:00.000Z');
    expect((await gw.generate(key.key)).statusCode).toBe(202);
    clock.set('2026-11-30T22:00:00.000Z');
  });

  it('answers 404 for an unknown team and validates updates', async () => {
    expect((await getTeam('no-such-team')).statusCode).toBe(404);
    expect((await patchTeam('no-such-team', { name: 'x' })).statusCode).toBe(404);
    const team = uniqueTeam();
    await createTeam({ id: team, budget: null });
    expect((await patchTeam(team, { budget: { credits: 5, period: 'year' } })).statusCode).toBe(400);
  });
});

describe('a team budget across two gateway processes', () => {
  let processes: GatewayProcess[];
  beforeAll(async () => {
    const env = { REDIS_URL: redis.url, APIFRAME_API_KEY: UPSTREAM_KEY, APIFRAME_BASE_URL: sim.url };
    processes = await Promise.all([startGatewayProcess(env), startGatewayProcess(env)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
  });

  it('lets exactly 10 of 50 concurrent calls on two keys through', async () => {
    const team = uniqueTeam();
    await createTeam({ id: team, budget: { credits: 30, period: 'total' } });
    const keys = [await gw.createKey({ team }), await gw.createKey({ team })];
    const statuses = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const response = await fetch(`${processes[i % 2]!.url}/v2/images/generate`, {
          method: 'POST',
          headers: { 'x-api-key': keys[Math.floor(i / 2) % 2]!.key, 'content-type': 'application/json' },
          body: JSON.stringify(SEED_BODY),
        });
        return response.status;
      }),
    );
    expect(statuses.filter((s) => s === 202)).toHaveLength(10);
    expect(statuses.filter((s) => s === 402)).toHaveLength(40);
    expect((await getTeam(team)).json()).toMatchObject({ spent: 30, remaining: 0 });
  });
});
