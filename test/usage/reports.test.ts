import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import {
  ADMIN_TOKEN,
  SEED_BODY,
  startGateway,
  UPSTREAM_KEY,
  type CreatedKey,
  type TestGateway,
} from '../helpers/gateway.js';

let redis: RedisServer;
let gw: TestGateway;
let alpha: CreatedKey;
let beta: CreatedKey;
let gamma: CreatedKey;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const TRICKY_NAME = 'Ads, "EMEA"\nsecond line';
const today = new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  redis = await startRedis();
  gw = await startGateway({ redisUrl: redis.url });
  alpha = await gw.createKey({ team: 'alpha', name: TRICKY_NAME });
  beta = await gw.createKey({ team: 'alpha', name: 'batch' });
  gamma = await gw.createKey({ team: 'gamma', name: 'gamma key' });
  const run = async (key: CreatedKey, prompt: string) => {
    const response = await gw.generate(key.key, { ...SEED_BODY, prompt });
    if (response.statusCode === 202) await gw.poll(key.key, response.json().jobId);
  };
  await run(alpha, 'ok');
  await run(alpha, 'costly [sim:cost=5]');
  await run(beta, 'x [sim:fail]');
  await run(beta, 'x [sim:cancel]');
  await run(gamma, 'x [sim:status=500]');
  await run(gamma, 'ok');
});
afterAll(async () => {
  await gw.close();
  await redis.destroy();
});

const get = (url: string, headers: Record<string, string> = admin) => gw.inject({ method: 'GET', url, headers });

describe('usage reports', () => {
  it('adds up the same under every grouping, and equals the ledger, the spends and Apiframe’s charges', async () => {
    const expected = {
      credits: 11,
      charged: 11,
      reservations: 6,
      settlements: 3,
      refunds: 2,
      releases: 1,
      overruns: 1,
      overrunCredits: 2,
    };
    for (const groupBy of ['team', 'key', 'model', 'day', 'team,key,model,day']) {
      const report = (await get(`/admin/usage?groupBy=${groupBy}`)).json();
      expect(report.totals).toEqual(expected);
      expect(report.rows.reduce((sum: number, row: { credits: number }) => sum + row.credits, 0)).toBe(11);
    }
    const byTeam = (await get('/admin/usage?groupBy=team')).json();
    expect(byTeam).toMatchObject({ from: `${today.slice(0, 7)}-01`, to: today, groupBy: ['team'] });
    expect(byTeam.rows.map((row: { team: string; credits: number }) => [row.team, row.credits])).toEqual([
      ['alpha', 8],
      ['gamma', 3],
    ]);

    const byKey = (await get('/admin/usage?groupBy=key')).json();
    const alphaRow = byKey.rows.find((row: { key: string }) => row.key === alpha.id);
    expect(alphaRow).toMatchObject({ keyName: TRICKY_NAME, keyPrefix: alpha.prefix, credits: 8, settlements: 2 });

    const events = (await get('/admin/usage/events?limit=1000')).json().events;
    expect(events.reduce((sum: number, entry: { credits: number }) => sum + entry.credits, 0)).toBe(11);
    const spends = await Promise.all([alpha, beta, gamma].map((key) => gw.spend(key)));
    expect(spends.reduce((sum, spend) => sum + spend.total, 0)).toBe(11);
    expect(gw.sim.chargedCredits()).toBe(11);
  });

  it('filters by team and key, and refuses a bad range', async () => {
    expect((await get('/admin/usage?team=gamma')).json().totals.credits).toBe(3);
    expect((await get(`/admin/usage?key=${beta.id}`)).json().totals).toMatchObject({ credits: 0, refunds: 2 });
    expect((await get('/admin/usage?from=2026-12-01&to=2026-11-01')).statusCode).toBe(400);
    expect((await get('/admin/usage?groupBy=team,colour')).statusCode).toBe(400);
    expect((await get('/admin/usage?from=2020-01-01&to=2026-01-01')).statusCode).toBe(400);
  });

  it('exports RFC 4180 CSV in which commas, quotes and newlines in key names survive', async () => {
    const response = await get('/admin/usage?groupBy=team,key&format=csv');
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="usage-/);
    const records = parse(response.body, { columns: true }) as Record<string, string>[];
    expect(Object.keys(records[0]!)).toEqual([
      'team',
      'key',
      'keyName',
      'keyPrefix',
      'credits',
      'charged',
      'reservations',
      'settlements',
      'refunds',
      'releases',
      'overruns',
      'overrunCredits',
    ]);
    const tricky = records.find((record) => record.key === alpha.id);
    expect(tricky).toMatchObject({ keyName: TRICKY_NAME, credits: '8' });
    expect(records.reduce((sum, record) => sum + Number(record.credits), 0)).toBe(11);
  });

  it('pages through raw ledger entries, and streams them as NDJSON and CSV', async () => {
    const all = (await get('/admin/usage/events?limit=1000')).json().events;
    expect(all).toHaveLength(13);
    const seen = [];
    let cursor = '';
    for (let page = 0; page < 10; page++) {
      const body = (await get(`/admin/usage/events?limit=5${cursor ? `&cursor=${cursor}` : ''}`)).json();
      seen.push(...body.events);
      if (!body.hasMore) break;
      cursor = body.nextCursor;
    }
    expect(seen).toEqual(all);
    expect(all.find((entry: { kind: string }) => entry.kind === 'release')).toMatchObject({
      team: 'gamma',
      note: 'refused: GW_UPSTREAM_UNAVAILABLE',
      credits: -3,
    });

    const ndjson = await get('/admin/usage/events?format=ndjson&team=alpha');
    expect(ndjson.headers['content-type']).toBe('application/x-ndjson');
    const lines = ndjson.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual(all.filter((entry: { team: string }) => entry.team === 'alpha'));

    const csv = parse((await get(`/admin/usage/events?format=csv&key=${alpha.id}`)).body, { columns: true }) as Record<
      string,
      string
    >[];
    expect(csv.map((row) => row.kind)).toEqual(['reserve', 'settle', 'reserve', 'settle', 'overrun']);
    expect(csv.map((row) => Number(row.credits))).toEqual([3, 0, 3, 0, 2]);
    expect((await get('/admin/usage/events?cursor=nope')).statusCode).toBe(400);
  });

  it('shows budgets with their use', async () => {
    const limited = await gw.createKey({ team: 'gamma', budget: { credits: 9, period: 'day' } });
    await gw.generate(limited.key);
    const { teams, keys } = (await get('/admin/usage/budgets')).json();
    expect(teams.map((team: { id: string }) => team.id)).toEqual(expect.arrayContaining(['alpha', 'gamma']));
    expect(keys).toEqual([
      expect.objectContaining({ id: limited.id, spent: 3, remaining: 6, budget: { credits: 9, period: 'day' } }),
    ]);
  });
});

describe('who may read usage', () => {
  it('lets a usage:read key read reports but not administer keys', async () => {
    const finance = await gw.createKey({ team: 'finance', scopes: ['usage:read'] });
    const headers = { authorization: `Bearer ${finance.key}` };
    expect((await get('/admin/usage', headers)).statusCode).toBe(200);
    expect((await get('/admin/usage/events', headers)).statusCode).toBe(200);
    const keys = await get('/admin/keys', headers);
    expect(keys.statusCode).toBe(403);
    expect(keys.json()).toMatchObject({ error: 'This key lacks the "admin" scope' });
    const generateKey = await gw.createKey();
    expect((await get('/admin/usage', { 'x-api-key': generateKey.key })).json()).toMatchObject({
      error: 'This key lacks the "usage:read" scope',
    });
  });

  it('lets any key read its own usage, and its team’s only with usage:read', async () => {
    const own = (await get('/v2/usage?groupBy=model', { 'x-api-key': alpha.key })).json();
    expect(own.totals).toMatchObject({ credits: 8, settlements: 2 });
    expect(own.rows).toEqual([expect.objectContaining({ model: 'seedream-4', credits: 8 })]);
    expect((await get('/v2/usage?scope=team', { 'x-api-key': alpha.key })).statusCode).toBe(403);
    const reader = await gw.createKey({ team: 'alpha', scopes: ['generate', 'usage:read'] });
    expect((await get('/v2/usage?scope=team', { 'x-api-key': reader.key })).json().totals.credits).toBe(8);
    const csv = await get('/v2/usage?format=csv&groupBy=day', { 'x-api-key': alpha.key });
    expect(csv.body.split('\n')[0]).toBe(
      'day,credits,charged,reservations,settlements,refunds,releases,overruns,overrunCredits',
    );
  });
});

describe('reconciliation with Apiframe', () => {
  it('agrees when every job is settled, then lists differences, unsettled jobs and jobs the gateway never saw', async () => {
    await gw.app.services.backgroundSettlement.settleOnce();
    const clean = (await get('/admin/usage/reconciliation')).json();
    expect(clean.summary).toMatchObject({ differences: 0, unsettled: 0, unknownToGateway: 0 });
    expect(clean.summary.gatewayCredits).toBe(clean.summary.apiframeCredits);

    const pending = (await gw.generate(gamma.key, { ...SEED_BODY, prompt: 'x [sim:never]' })).json().jobId;
    const skewed = (await gw.generate(gamma.key)).json().jobId;
    await gw.app.services.store.settle({
      team: 'gamma',
      jobId: skewed,
      day: today,
      status: 'COMPLETED',
      credits: 7,
      finalBody: '{}',
      now: Date.now(),
      requestId: 'test',
    });
    const outside = await fetch(`${gw.sim.url}/v2/images/generate`, {
      method: 'POST',
      headers: { 'x-api-key': UPSTREAM_KEY, 'content-type': 'application/json' },
      body: JSON.stringify(SEED_BODY),
    });
    const outsideJob = ((await outside.json()) as { jobId: string }).jobId;

    const report = (await get('/admin/usage/reconciliation')).json();
    expect(report.differences).toEqual([
      expect.objectContaining({ jobId: skewed, gatewayCredits: 7, apiframeCredits: 3, team: 'gamma' }),
    ]);
    expect(report.unsettled).toEqual([
      expect.objectContaining({ jobId: pending, gatewayState: 'pending', apiframeStatus: 'PROCESSING' }),
    ]);
    expect(report.unknownToGateway).toEqual([expect.objectContaining({ jobId: outsideJob, creditCost: 3 })]);
    expect(report.summary).toMatchObject({
      differences: 1,
      unsettled: 1,
      unknownToGateway: 1,
      unknownToGatewayCredits: 3,
    });
    expect(report.summary.gatewayCredits - report.summary.apiframeCredits).toBe(4);
  });
});

describe('streamed exports', () => {
  it('refuses a bad cursor with 400 before streaming anything', async () => {
    for (const format of ['ndjson', 'csv']) {
      const response = await get(`/admin/usage/events?format=${format}&cursor=bm9wZQ`);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ details: { cursor: ['is not a valid cursor'] } });
    }
  });
});

describe('CSV opened in a spreadsheet', () => {
  it('keeps a name that starts like a formula as text, and negative credits as numbers', async () => {
    const name = '=HYPERLINK("https://evil.example","click")';
    const key = await gw.createKey({ team: 'formulas', name });
    const accepted = await gw.generate(key.key, { ...SEED_BODY, prompt: 'x [sim:fail]' });
    await gw.poll(key.key, accepted.json().jobId);
    const report = parse((await get('/admin/usage?groupBy=key&team=formulas&format=csv')).body, {
      columns: true,
    }) as Record<string, string>[];
    expect(report.map((row) => row.keyName)).toEqual([`'${name}`]);
    const statement = parse((await get('/admin/usage/statements/formulas?format=csv')).body, {
      columns: true,
    }) as Record<string, string>[];
    expect(statement.filter((row) => row.section === 'key').map((row) => row.item)).toEqual([`'${name}`]);
    const ledger = parse((await get('/admin/usage/events?format=csv&team=formulas')).body, {
      columns: true,
    }) as Record<string, string>[];
    expect(ledger.map((entry) => entry.credits)).toEqual(['3', '-3']);
  });
});
