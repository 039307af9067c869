// A team's monthly statement: the HTML page and its CSV carry the totals /admin/usage reports,
// every name a user chose is escaped, the page keeps to a CSP without scripts or inline styles
// beyond its own hashed stylesheet, and bad months, unknown teams and other teams are refused.
import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, gatewayOnRedis, SEED_BODY, testClock, uniqueTeam, type CreatedKey } from '../helpers/gateway.js';

const clock = testClock('2026-11-10T12:00:00.000Z');
const ctx = gatewayOnRedis({ clock });
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const TEAM_NAME = 'Ads & <b>Promo</b>';
const KEY_NAME = '<script>alert("key")</script>';
const team = uniqueTeam();
let key: CreatedKey;

beforeAll(async () => {
  await ctx.gw.inject({
    method: 'POST',
    url: '/admin/teams',
    headers: admin,
    payload: { id: team, name: TEAM_NAME, budget: { credits: 200, period: 'month' } },
  });
  key = await ctx.gw.createKey({ team, name: KEY_NAME });
  for (const [day, prompt] of [
    ['2026-11-03', 'ok'],
    ['2026-11-03', 'x [sim:fail]'],
    ['2026-11-05', 'costly [sim:cost=5]'],
    ['2026-11-09', 'ok'],
  ] as const) {
    clock.set(`${day}T10:00:00.000Z`);
    const submitted = await ctx.gw.generate(key.key, { ...SEED_BODY, prompt });
    await ctx.gw.poll(key.key, submitted.json().jobId);
  }
  clock.set('2026-11-10T12:00:00.000Z');
});

const get = (url: string, headers: Record<string, string> = admin) => ctx.gw.inject({ method: 'GET', url, headers });

async function apiTotals(month: string, last: string) {
  return (await get(`/admin/usage?team=${team}&from=${month}-01&to=${month}-${last}`)).json().totals;
}

const shown = (html: string, metric: string) =>
  Number(new RegExp(`data-total="${metric}">([0-9,]+)<`).exec(html)![1]!.replaceAll(',', ''));

describe('team statements', () => {
  it('shows the month’s totals as /admin/usage reports them, with every user’s name escaped', async () => {
    const response = await get(`/admin/usage/statements/${team}`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = response.body;
    const totals = await apiTotals('2026-11', '30');
    expect(totals).toMatchObject({ credits: 11, settlements: 3, refunds: 1, overruns: 1 });
    for (const metric of ['credits', 'settlements', 'refunds', 'releases', 'overruns'])
      expect(shown(html, metric)).toBe(totals[metric]);
    expect(html).toContain('<span data-budget-used>5.5 %</span>');
    expect(html).not.toMatch(/<script|<b>/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;key&quot;)&lt;/script&gt;');
    expect(html).toContain('Ads &amp; &lt;b&gt;Promo&lt;/b&gt;');
    expect(html.match(/<rect class="bar"/g)).toHaveLength(30);
    expect(html).toContain('<title>2026-11-05: 5 credits</title>');
  });

  it('keeps to a CSP that allows only its own stylesheet, by hash', async () => {
    const response = await get(`/admin/usage/statements/${team}?month=2026-11`);
    const policy = String(response.headers['content-security-policy']);
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("object-src 'none'");
    expect(policy).not.toContain('unsafe-inline');
    const style = /<style>([\s\S]*?)<\/style>/.exec(response.body)![1]!;
    expect(policy).toContain(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    expect(response.body).not.toMatch(/ style="/);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('gives the same lines as CSV', async () => {
    const response = await get(`/admin/usage/statements/${team}?month=2026-11&format=csv`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe(`attachment; filename="statement-${team}-2026-11.csv"`);
    const lines = parse(response.body, { columns: true, cast: true }) as Record<string, string | number>[];
    const section = (name: string) => lines.filter((line) => line.section === name);
    expect(section('total')).toEqual([
      {
        section: 'total',
        item: team,
        detail: '2026-11',
        credits: 11,
        settlements: 3,
        refunds: 1,
        releases: 0,
        overruns: 1,
        overrunCredits: 2,
      },
    ]);
    expect(section('budget')).toMatchObject([{ item: '200/month', detail: '5.5% used' }]);
    expect(section('key')).toMatchObject([{ item: KEY_NAME, detail: key.prefix, credits: 11 }]);
    expect(section('model')).toMatchObject([{ item: 'seedream-4', detail: 'image', credits: 11 }]);
    expect(section('day')).toHaveLength(30);
    expect(section('day').reduce((sum, line) => sum + Number(line.credits), 0)).toBe(11);
  });

  it('answers a month without spend with a valid empty statement', async () => {
    const html = (await get(`/admin/usage/statements/${team}?month=2026-10`)).body;
    expect(shown(html, 'credits')).toBe(0);
    expect(html).toContain('No spend this month.');
    expect(html.match(/<rect class="bar"/g)).toHaveLength(31);
    const csv = parse((await get(`/admin/usage/statements/${team}?month=2026-10&format=csv`)).body, { columns: true });
    expect(csv[0]).toMatchObject({ section: 'total', credits: '0' });
  });

  it('refuses a bad month (400), an unknown team (404) and another team’s reader (403)', async () => {
    for (const month of ['2026-13', '2026-1', 'november']) {
      const refused = await get(`/admin/usage/statements/${team}?month=${month}`);
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ details: { month: ['must be a month, YYYY-MM'] } });
    }
    const unknown = await get('/admin/usage/statements/no-such-team');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'Team not found', code: 'GW_TEAM_NOT_FOUND' });

    const outsider = await ctx.gw.createKey({ scopes: ['usage:read'] });
    const bearer = { authorization: `Bearer ${outsider.key}` };
    for (const target of [team, 'no-such-team']) {
      const refused = await get(`/admin/usage/statements/${target}?format=csv`, bearer);
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('GW_USAGE_TEAM_DENIED');
    }
    const insider = await ctx.gw.createKey({ team, scopes: ['usage:read'] });
    const own = await get(`/admin/usage/statements/${team}`, { authorization: `Bearer ${insider.key}` });
    expect(own.statusCode).toBe(200);
  });
});
