// Who reads whose money: a `usage:read` key reads its own team's usage and nothing of another
// team's (no rows, no key names, metadata or origins, no account-wide Apiframe list);
// `usage:read:all`, `admin` keys and the admin token read every team's.
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, gatewayOnRedis, type CreatedKey } from '../helpers/gateway.js';

const ctx = gatewayOnRedis();
const OTHER_NAME = 'beta secret project';
const OTHER_METADATA = 'cost-centre-beta-7731';
const OTHER_ORIGIN = 'https://beta.example.com';

interface Row {
  team: string;
  key?: string;
  keyName?: string;
  credits: number;
}

async function seed(): Promise<{ alpha: CreatedKey; beta: CreatedKey; alphaTeam: string; betaTeam: string }> {
  const alpha = await ctx.gw.createKey({ name: 'alpha spender', budget: { credits: 100, period: 'month' } });
  const beta = await ctx.gw.createKey({
    name: OTHER_NAME,
    budget: { credits: 100, period: 'month' },
    metadata: { costCentre: OTHER_METADATA },
    allowedOrigins: [OTHER_ORIGIN],
  });
  for (const [key, jobs] of [
    [alpha, 1],
    [beta, 2],
  ] as const) {
    for (let i = 0; i < jobs; i++) {
      const submitted = await ctx.gw.generate(key.key);
      await ctx.gw.poll(key.key, submitted.json().jobId);
    }
  }
  return { alpha, beta, alphaTeam: alpha.team, betaTeam: beta.team };
}

const get = (url: string, secret: string) =>
  ctx.gw.inject({ method: 'GET', url, headers: { authorization: `Bearer ${secret}` } });

describe('a usage:read key', () => {
  it('reads only its own team’s reports, and is refused another team’s by name', async () => {
    const { alpha, beta, alphaTeam, betaTeam } = await seed();
    const reader = await ctx.gw.createKey({ team: alphaTeam, name: 'alpha finance', scopes: ['usage:read'] });

    const byTeam = (await get('/admin/usage?groupBy=team', reader.key)).json();
    expect(byTeam.team).toBe(alphaTeam);
    expect(byTeam.rows.map((row: Row) => [row.team, row.credits])).toEqual([[alphaTeam, 3]]);
    expect(byTeam.totals.credits).toBe(3);
    expect((await get(`/admin/usage?team=${alphaTeam}`, reader.key)).json().totals.credits).toBe(3);

    const byKey = await get('/admin/usage?groupBy=team,key', reader.key);
    expect(byKey.json().rows.map((row: Row) => row.key)).toEqual([alpha.id]);
    expect(byKey.body).not.toContain(OTHER_NAME);
    expect((await get(`/admin/usage?key=${beta.id}`, reader.key)).json().totals.credits).toBe(0);
    const csv = parse((await get('/admin/usage?groupBy=team,key&format=csv', reader.key)).body, {
      columns: true,
    }) as Record<string, string>[];
    expect(csv.map((record) => record.team)).toEqual([alphaTeam]);

    const refused = await get(`/admin/usage?team=${betaTeam}`, reader.key);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({
      error: `This key reads the usage of team ${alphaTeam} only; other teams need the "usage:read:all" scope`,
      code: 'GW_USAGE_TEAM_DENIED',
    });
  });

  it('reads only its own team’s ledger, in every format', async () => {
    const { alphaTeam, betaTeam } = await seed();
    const reader = await ctx.gw.createKey({ team: alphaTeam, scopes: ['usage:read'] });
    const page = (await get('/admin/usage/events?limit=1000', reader.key)).json();
    expect(page.events.length).toBeGreaterThan(0);
    expect(new Set(page.events.map((entry: Row) => entry.team))).toEqual(new Set([alphaTeam]));
    const ndjson = (await get('/admin/usage/events?format=ndjson', reader.key)).body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(ndjson).toEqual(page.events);
    const csv = parse((await get('/admin/usage/events?format=csv', reader.key)).body, { columns: true }) as Record<
      string,
      string
    >[];
    expect(new Set(csv.map((record) => record.team))).toEqual(new Set([alphaTeam]));
    for (const format of ['json', 'ndjson', 'csv']) {
      const refused = await get(`/admin/usage/events?format=${format}&team=${betaTeam}`, reader.key);
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('GW_USAGE_TEAM_DENIED');
    }
  });

  it('sees its own team’s budgets only: no other team’s key names, metadata or origins', async () => {
    const { alpha, alphaTeam } = await seed();
    const reader = await ctx.gw.createKey({ team: alphaTeam, scopes: ['usage:read'] });
    const response = await get('/admin/usage/budgets', reader.key);
    expect(response.statusCode).toBe(200);
    const { teams, keys } = response.json();
    expect(teams.map((team: { id: string }) => team.id)).toEqual([alphaTeam]);
    expect(keys.map((key: { id: string }) => key.id)).toEqual([alpha.id]);
    for (const secretOfBeta of [OTHER_NAME, OTHER_METADATA, OTHER_ORIGIN])
      expect(response.body).not.toContain(secretOfBeta);
  });

  it('reconciles its own team, named; every team (Apiframe’s account-wide job list) and another team are 403', async () => {
    const { alphaTeam, betaTeam } = await seed();
    const reader = await ctx.gw.createKey({ team: alphaTeam, scopes: ['usage:read'] });
    const listsBefore = ctx.gw.sim.requests.filter((request) => request.url.startsWith('/v2/jobs?')).length;

    const everyTeam = await get('/admin/usage/reconciliation', reader.key);
    expect(everyTeam.statusCode).toBe(403);
    expect(everyTeam.json()).toEqual({
      error: `Reconciling every team (with Apiframe's account-wide job list) needs the "usage:read:all" scope; this key may reconcile team=${alphaTeam}`,
      code: 'GW_USAGE_ORGANISATION_DENIED',
    });
    expect((await get(`/admin/usage/reconciliation?team=${betaTeam}`, reader.key)).json().code).toBe(
      'GW_USAGE_TEAM_DENIED',
    );

    const own = (await get(`/admin/usage/reconciliation?team=${alphaTeam}`, reader.key)).json();
    expect(own).toMatchObject({
      team: alphaTeam,
      summary: { jobs: 1, settled: 1, differences: 0 },
      unknownToGateway: [],
    });
    expect(own.progress).toEqual({
      jobsChecked: 1,
      jobsRemaining: 0,
      apiframePagesRead: 0,
      complete: true,
      next: null,
    });
    expect(ctx.gw.sim.requests.filter((request) => request.url.startsWith('/v2/jobs?')).length).toBe(listsBefore);

    const forged = Buffer.from(JSON.stringify(['apiframe', null])).toString('base64url');
    const refusedCursor = await get(`/admin/usage/reconciliation?team=${alphaTeam}&cursor=${forged}`, reader.key);
    expect(refusedCursor.statusCode).toBe(400);
    expect(refusedCursor.json()).toMatchObject({ details: { cursor: ['is not a valid cursor'] } });
  });

  it('reads its team’s usage on /v2/usage with scope=team, as usage:read:all does', async () => {
    const { alphaTeam } = await seed();
    for (const scopes of [['usage:read'], ['usage:read:all']]) {
      const reader = await ctx.gw.createKey({ team: alphaTeam, scopes });
      const own = await ctx.gw.inject({
        method: 'GET',
        url: '/v2/usage?scope=team',
        headers: { 'x-api-key': reader.key },
      });
      expect(own.json()).toMatchObject({ team: alphaTeam, totals: { credits: 3 } });
    }
  });
});

describe('usage:read:all, admin keys and the admin token', () => {
  it('read every team’s reports, ledger and budgets, and reconcile every team', async () => {
    const { alphaTeam, betaTeam } = await seed();
    const allReader = await ctx.gw.createKey({ team: 'finance', scopes: ['usage:read:all'] });
    const adminKey = await ctx.gw.createKey({ team: 'ops', scopes: ['admin'] });
    for (const secret of [allReader.key, adminKey.key, ADMIN_TOKEN]) {
      const report = (await get('/admin/usage?groupBy=team', secret)).json();
      expect(report.team).toBeUndefined();
      const teams = report.rows.map((row: Row) => row.team);
      expect(teams).toEqual(expect.arrayContaining([alphaTeam, betaTeam]));
      expect((await get(`/admin/usage?team=${betaTeam}`, secret)).json().totals.credits).toBe(6);

      const events = (await get('/admin/usage/events?limit=1000', secret)).json().events;
      expect(events.some((entry: Row) => entry.team === betaTeam)).toBe(true);

      const budgets = await get('/admin/usage/budgets', secret);
      expect(budgets.body).toContain(OTHER_NAME);

      const reconciliation = (await get('/admin/usage/reconciliation', secret)).json();
      expect(reconciliation).toMatchObject({ team: null, progress: { complete: true, next: null } });
      expect(reconciliation.progress.apiframePagesRead).toBeGreaterThan(0);
    }
    expect((await get('/admin/keys', allReader.key)).json()).toMatchObject({
      error: 'This key lacks the "admin" scope',
    });
  });
});
