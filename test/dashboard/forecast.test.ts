// The dashboard looks ahead, in a real browser: each team's forecast and the day its budget runs
// out are the API's, the chart draws the forecast from today to the window's end as a dashed
// line inside its band, and a team's statement opens from its row.
import { describe, expect, it } from 'vitest';
import type { Forecast } from '../../src/domain/forecast.js';
import { chartOf, shownTeamRows } from '../helpers/dashboard-page.js';
import { ADMIN_TOKEN } from '../helpers/gateway.js';
import { seededDashboard, showDates } from '../helpers/seeded-dashboard.js';

interface TeamView {
  id: string;
  name: string;
  forecast: Forecast;
}

const DAYS = Array.from({ length: 10 }, (_, i) => `2026-11-${String(11 + i).padStart(2, '0')}`);
const FROM = DAYS[0]!;
const TODAY = DAYS.at(-1)!;
const MONTH_END = '2026-11-30';

const ctx = seededDashboard({ days: DAYS, open: { from: FROM, to: MONTH_END } });

const budgets = (): Promise<{ teams: TeamView[] }> => ctx.api('/admin/usage/budgets');
const datasets = async () => (await chartOf(ctx.page)).datasets;
const shownTeams = () => shownTeamRows(ctx.page);

const days = Array.from({ length: 20 }, (_, i) => `2026-11-${String(11 + i).padStart(2, '0')}`);
const at = (day: string) => days.indexOf(day);

/** The chart's forecast lines are the forecast's: from what is spent today to projected, low and high at the window's end. */
function expectDrawn(
  drawn: Awaited<ReturnType<typeof datasets>>,
  forecast: Omit<Forecast, 'method' | 'status' | 'runsOutOn' | 'overBudget'>,
) {
  const line = (label: string) => drawn.find((dataset) => dataset.label === label)!;
  const projected = line('Forecast');
  expect(projected.borderDash).toEqual([6, 4]);
  expect(projected.yAxisID).toBe('window');
  expect(projected.data[at(TODAY)]).toBe(forecast.spent);
  expect(projected.data[at(MONTH_END)]).toBe(forecast.projected);
  expect(projected.data.slice(0, at(TODAY)).every((value) => value === null)).toBe(true);
  expect(line('Forecast low').data[at(MONTH_END)]).toBe(forecast.low);
  expect(line('Forecast band')).toMatchObject({ fill: '-1' });
  expect(line('Forecast band').data[at(MONTH_END)]).toBe(forecast.high);
  expect(line('Spent this window').data[at(TODAY)]).toBe(forecast.spent);
  expect(line('Spent this window').data[at(MONTH_END)]).toBeNull();
}

describe('the forecast', () => {
  it('is in the team table as the API gives it, with the day the budget runs out', async () => {
    const { teams } = await budgets();
    const shown = await shownTeams();
    expect(shown.map((row) => row.team).sort()).toEqual(teams.map((team) => team.id).sort());
    for (const { id, forecast } of teams) {
      const row = shown.find((candidate) => candidate.team === id)!;
      const projected = forecast.status === 'ok' ? forecast.projected!.toLocaleString('en-US') : 'not enough data';
      expect(row.forecast).toBe(projected);
      expect(row.runsOutOn).toBe(forecast.runsOutOn ?? '–');
    }
    const marketing = teams.find((team) => team.id === 'marketing')!.forecast;
    expect(marketing).toMatchObject({ status: 'ok', windowEndsOn: MONTH_END });
  });

  it('is drawn on the chart from today to the month’s end: the sum of every team’s on a calendar month', async () => {
    const monthly = (await budgets()).teams
      .map((team) => team.forecast)
      .filter((forecast) => forecast.status === 'ok' && /^\d{4}-\d{2}$/.test(forecast.window));
    expect(monthly.length).toBeGreaterThanOrEqual(2);
    const sum = (field: 'spent' | 'projected' | 'low' | 'high') =>
      monthly.reduce((total, forecast) => total + forecast[field]!, 0);
    const drawn = await datasets();
    expect(drawn.map((dataset) => dataset.label)).toEqual([
      'design',
      'marketing',
      'research',
      'Spent this window',
      'Forecast low',
      'Forecast band',
      'Forecast',
    ]);
    expectDrawn(drawn, {
      window: '2026-11',
      windowEndsOn: MONTH_END,
      spent: sum('spent'),
      projected: sum('projected'),
      low: sum('low'),
      high: sum('high'),
    });
    expect(await ctx.page.textContent('#forecast-note')).toContain(`Forecast to ${MONTH_END}`);
  });

  it('of one team when the page shows one, and none under a model filter (it counts every model)', async () => {
    await ctx.page.selectOption('#team', 'marketing');
    await ctx.page.waitForSelector(`body[data-loaded="${FROM}..${MONTH_END}?team=marketing"]`);
    const marketing = (await budgets()).teams.find((team) => team.id === 'marketing')!.forecast;
    expectDrawn(await datasets(), marketing);

    await ctx.page.selectOption('#model', 'seedream-4');
    await ctx.page.waitForSelector(`body[data-loaded="${FROM}..${MONTH_END}?team=marketing&model=seedream-4"]`);
    expect((await datasets()).map((dataset) => dataset.label)).toEqual(['marketing']);
    expect(await ctx.page.textContent('#forecast-note')).toContain('clear the model and modality filters');
    await ctx.page.selectOption('#model', '');
    await ctx.page.selectOption('#team', '');
    await ctx.page.waitForSelector(`body[data-loaded="${FROM}..${MONTH_END}"]`);
  });

  it('is not drawn over a range that ends today', async () => {
    await showDates(ctx.page, FROM, TODAY);
    expect((await datasets()).map((dataset) => dataset.label)).toEqual(['design', 'marketing', 'research']);
    expect(await ctx.page.textContent('#forecast-note')).toContain('Show dates after today');
  });
});

describe('a team heading past its budget', () => {
  it('is flagged over budget, with the day its budget runs out', async () => {
    const spent = (await budgets()).teams.find((team) => team.id === 'design')!.forecast.spent;
    const patched = await ctx.gw.inject({
      method: 'PATCH',
      url: '/admin/teams/design',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { budget: { credits: spent + 5, period: 'month' } },
    });
    expect(patched.statusCode).toBe(200);
    const { forecast } = (await budgets()).teams.find((team) => team.id === 'design')!;
    expect(forecast).toMatchObject({ overBudget: true, runsOutOn: expect.stringMatching(/^2026-11-2\d$/) });
    await ctx.page.click('#range button[type=submit]');
    await ctx.page.waitForSelector(`body[data-loaded="${FROM}..${TODAY}"]`);
    const row = ctx.page.locator('#teams tr[data-team="design"]');
    expect(await row.locator('td[data-column="forecast"]').getAttribute('class')).toContain('over');
    expect(await row.locator('td[data-column="forecast"] small').textContent()).toContain('over budget');
    expect((await shownTeams()).find((shown) => shown.team === 'design')!.runsOutOn).toBe(forecast.runsOutOn);
  });
});

describe('a team’s statement', () => {
  it('opens from its row, for this month', async () => {
    const link = ctx.page.locator('#teams tr[data-team="marketing"] a.statement');
    expect(await link.getAttribute('href')).toBe('/admin/usage/statements/marketing?month=2026-11');
    const [popup] = await Promise.all([ctx.page.waitForEvent('popup'), link.click()]);
    await popup.waitForLoadState();
    await expect.poll(() => popup.url()).toMatch(/^blob:/);
    const html = (
      await ctx.gw.inject({
        method: 'GET',
        url: '/admin/usage/statements/marketing?month=2026-11',
        headers: { authorization: `Bearer ${ctx.usageKey}` },
      })
    ).body;
    const title = /<title>([^<]*)<\/title>/.exec(html)![1]!;
    await expect.poll(() => popup.title()).toBe(title.replaceAll('&amp;', '&'));
    expect(await popup.textContent('body')).toContain('Marketing');
    // A blob document keeps the dashboard's policy: the statement's stylesheet must still apply.
    const styled = await popup
      .locator('style')
      .first()
      .evaluate((style) => style.sheet?.cssRules.length);
    expect(styled).toBeGreaterThan(0);
    await popup.close();
  });
});
