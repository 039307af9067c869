// The finance dashboard in a real browser: the numbers on screen are the API's, the chart
// renders, and the CSV download holds exactly what the chart shows; a usage:read:all key sees
// every team, a usage:read key its own team only.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chartOf, chartPaint, shownRows } from '../helpers/dashboard-page.js';
import { seededDashboard, showDates, signIn } from '../helpers/seeded-dashboard.js';

const DAYS = Array.from({ length: 10 }, (_, i) => `2026-11-${String(11 + i).padStart(2, '0')}`);
const FROM = DAYS[0]!;
const TO = DAYS.at(-1)!;

const ctx = seededDashboard({ days: DAYS, page: () => ({ acceptDownloads: true }) });

async function chartData() {
  return { ...(await chartOf(ctx.page)), ...(await chartPaint(ctx.page)) };
}

const number = (text: string) => Number(text.replaceAll(',', ''));
const shownKeys = async () =>
  (await shownRows(ctx.page, '#top-keys tbody tr')).map((row) => ({
    key: row.data.key,
    credits: number(row.cells[2]!),
  }));
const shownBudgets = async () => (await shownRows(ctx.page, '#budgets li')).map((li) => li.data.spent);
const budgetBars = (budgets: { teams: { budget: unknown; spent: number }[]; keys: { spent: number }[] }) =>
  [...budgets.teams.filter((t) => t.budget), ...budgets.keys].map((v) => String(v.spent));
const showRange = () => showDates(ctx.page, FROM, TO);

describe('the finance dashboard', () => {
  it('refuses a wrong key and signs in with a usage:read:all key, showing every team', async () => {
    await ctx.page.goto(`${ctx.url}/dashboard`);
    await ctx.page.fill('#token', `gk_${'x'.repeat(43)}`);
    await ctx.page.click('#sign-in button[type=submit]');
    await expect.poll(() => ctx.page.textContent('#sign-in-error')).toBe('Invalid API key');
    await signIn(ctx.page, ctx.usageKey);
    expect(await ctx.page.isVisible('#sign-in')).toBe(false);
    expect(await ctx.page.isVisible('#sign-out')).toBe(true);
    await showRange();
    expect(await ctx.page.textContent('#reach')).toBe('All teams');
  });

  it('shows the totals the API reports', async () => {
    const { totals } = await ctx.api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=day,team`);
    expect(totals.credits).toBeGreaterThan(100);
    const shown = async (id: string) => Number((await ctx.page.textContent(id))!.replaceAll(',', ''));
    expect(await shown('#total-credits')).toBe(totals.credits);
    expect(await shown('#total-charged')).toBe(totals.charged);
    expect(await shown('#total-settlements')).toBe(totals.settlements);
    expect(await shown('#total-refunds')).toBe(totals.refunds);
    expect(totals.overrunCredits).toBeGreaterThan(0);
    expect(await shown('#total-overrun')).toBe(totals.overrunCredits);
  });

  it('shows credits by modality as the API totals them', async () => {
    const { totals, totalsByModality } = await ctx.api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=day,team`);
    expect(totalsByModality.image.credits).toBe(totals.credits);
    const shown = (await shownRows(ctx.page, '#by-modality tbody tr')).map((tr) => [
      tr.data.modality,
      ...tr.cells.slice(1).map(number),
    ]);
    expect(shown).toEqual(
      Object.entries(totalsByModality).map(([modality, of]) => {
        const { credits, charged, settlements, refunds } = of as Record<string, number>;
        return [modality, credits, charged, settlements, refunds];
      }),
    );
  });

  it('draws the chart: per day, stacked by team, with the API’s numbers', async () => {
    const { rows } = await ctx.api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=day,team`);
    const chart = await chartData();
    expect(chart.labels).toEqual(DAYS);
    expect(chart.datasets.map((d) => d.label)).toEqual(['design', 'marketing', 'research']);
    for (const row of rows) {
      const dataset = chart.datasets.find((d) => d.label === row.team)!;
      expect(dataset.data[DAYS.indexOf(row.day)]).toBe(row.credits);
    }
    expect(chart.width).toBeGreaterThan(300);
    expect(chart.painted).toBeGreaterThan(5_000);
  });

  it('lists the top keys and the budgets with their use', async () => {
    const { rows } = await ctx.api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=team,key`);
    const top = [...rows].sort((a, b) => b.credits - a.credits).slice(0, 10);
    expect(await shownKeys()).toEqual(
      top.map((row: { key: string; credits: number }) => ({ key: row.key, credits: row.credits })),
    );
    expect(await ctx.page.textContent('#top-keys')).toContain('Social, "EMEA"');
    expect(await shownBudgets()).toEqual(budgetBars(await ctx.api('/admin/usage/budgets')));
  });

  it('downloads exactly what the chart shows as CSV', async () => {
    const { rows } = await ctx.api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=day,team`);
    const [download] = await Promise.all([ctx.page.waitForEvent('download'), ctx.page.click('#download-csv')]);
    expect(download.suggestedFilename()).toBe(`usage-${FROM}-to-${TO}.csv`);
    const lines = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe('day,team,credits,charged,settlements,refunds,overrunCredits');
    expect(lines.slice(1)).toEqual(
      rows.map((r: Record<string, unknown>) =>
        [r.day, r.team, r.credits, r.charged, r.settlements, r.refunds, r.overrunCredits].join(','),
      ),
    );
  });

  it('shows a usage:read key its own team only: totals, chart, keys and budgets', async () => {
    await ctx.page.click('#sign-out');
    await signIn(ctx.page, ctx.marketingUsageKey);
    await showRange();
    expect(await ctx.page.textContent('#reach')).toBe('Team marketing');
    const byDay = await ctx.api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=day,team`, ctx.marketingUsageKey);
    const everyTeam = await ctx.api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=team`);
    expect(byDay.totals.credits).toBeGreaterThan(0);
    expect(byDay.totals.credits).toBeLessThan(everyTeam.totals.credits);
    expect(Number((await ctx.page.textContent('#total-credits'))!.replaceAll(',', ''))).toBe(byDay.totals.credits);

    const chart = await chartData();
    expect(chart.datasets.map((d) => d.label)).toEqual(['marketing']);
    for (const row of byDay.rows) expect(chart.datasets[0]!.data[DAYS.indexOf(row.day)]).toBe(row.credits);

    const byKey = await ctx.api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=team,key`, ctx.marketingUsageKey);
    expect(new Set(byKey.rows.map((row: { team: string }) => row.team))).toEqual(new Set(['marketing']));
    expect((await shownKeys()).map((row) => row.key).sort()).toEqual(
      byKey.rows.map((row: { key: string }) => row.key).sort(),
    );
    expect(await ctx.page.textContent('#top-keys')).not.toContain('Figma plugin');

    const budgets = await ctx.api('/admin/usage/budgets', ctx.marketingUsageKey);
    expect(budgets.teams.map((team: { id: string }) => team.id)).toEqual(['marketing']);
    expect(await shownBudgets()).toEqual(budgetBars(budgets));
    expect(await ctx.page.textContent('#budgets')).not.toContain('Design');
  });

  it('serves the page under a strict Content-Security-Policy', async () => {
    const response = await ctx.gw.inject({ method: 'GET', url: '/dashboard/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect((await ctx.gw.inject({ method: 'GET', url: '/dashboard/vendor/chart.umd.js' })).statusCode).toBe(200);
  });
});
