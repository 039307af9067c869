// /admin/usage/budgets forecasts every team (budgeted or not) and every budgeted key from the
// daily aggregates: a week of 3 credits a day projects the month at that pace, says when each
// budget runs out, and a team without history answers "not-enough-data".
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, gatewayOnRedis, testClock, uniqueTeam } from '../helpers/gateway.js';

const clock = testClock('2026-11-02T08:00:00.000Z');
const ctx = gatewayOnRedis({ clock });
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

interface Listed {
  id: string;
  forecast: Record<string, unknown>;
}

async function spendDaily(key: string, days: string[]): Promise<void> {
  for (const day of days) {
    clock.set(`${day}T10:00:00.000Z`);
    const submitted = await ctx.gw.generate(key);
    expect(submitted.statusCode, submitted.body).toBe(202);
    await ctx.gw.poll(key, submitted.json().jobId);
  }
}

describe('budget forecasts', () => {
  it('projects each team and budgeted key to the end of its window at the pace of the last 7 days', async () => {
    clock.set('2026-11-02T08:00:00.000Z');
    const budgeted = uniqueTeam();
    const unbudgeted = uniqueTeam();
    const quiet = uniqueTeam();
    await ctx.gw.inject({
      method: 'POST',
      url: '/admin/teams',
      headers: admin,
      payload: { id: budgeted, budget: { credits: 40, period: 'month' } },
    });
    const key = await ctx.gw.createKey({ team: budgeted, budget: { credits: 30, period: 'month' } });
    const free = await ctx.gw.createKey({ team: unbudgeted });
    await ctx.gw.createKey({ team: quiet });
    const week = ['2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06', '2026-11-07', '2026-11-08', '2026-11-09'];
    for (const spender of [key, free]) await spendDaily(spender.key, [...week, '2026-11-10']);
    clock.set('2026-11-10T12:00:00.000Z');

    const response = await ctx.gw.inject({ method: 'GET', url: '/admin/usage/budgets', headers: admin });
    expect(response.statusCode, response.body).toBe(200);
    const { teams, keys } = response.json<{ teams: Listed[]; keys: Listed[] }>();
    const forecastOf = (list: Listed[], id: string) => list.find((entry) => entry.id === id)?.forecast;
    // 24 credits by noon on the 10th, 3 a day for the 20.5 days left: 85.5.
    const atPace = { method: 'trailing-7-day-mean', status: 'ok', spent: 24, projected: 86, low: 86, high: 86 };
    expect(forecastOf(teams, budgeted)).toEqual({
      window: '2026-11',
      windowEndsOn: '2026-11-30',
      ...atPace,
      runsOutOn: '2026-11-15',
      overBudget: true,
    });
    expect(forecastOf(keys, key.id)).toEqual({
      window: '2026-11',
      windowEndsOn: '2026-11-30',
      ...atPace,
      runsOutOn: '2026-11-12',
      overBudget: true,
    });
    expect(forecastOf(teams, unbudgeted)).toEqual({
      window: '2026-11',
      windowEndsOn: '2026-11-30',
      ...atPace,
      runsOutOn: null,
      overBudget: false,
    });
    expect(forecastOf(teams, quiet)).toEqual({
      window: '2026-11',
      windowEndsOn: '2026-11-30',
      method: 'trailing-7-day-mean',
      status: 'not-enough-data',
      spent: 0,
      projected: null,
      low: null,
      high: null,
      runsOutOn: null,
      overBudget: false,
    });

    const reader = await ctx.gw.createKey({ team: budgeted, scopes: ['usage:read'] });
    const own = await ctx.gw.inject({
      method: 'GET',
      url: '/admin/usage/budgets',
      headers: { authorization: `Bearer ${reader.key}` },
    });
    const ownTeams = own.json<{ teams: Listed[] }>().teams;
    expect(ownTeams.map((team) => team.id)).toEqual([budgeted]);
    expect(ownTeams[0]!.forecast).toMatchObject({ projected: 86, runsOutOn: '2026-11-15' });
  });
});
