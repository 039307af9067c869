// The dashboard at a glance, in a real browser: a row for every team (budgeted or not) whose
// numbers are the API's, filters by team, model and modality that change every number shown,
// and a usage:read key that sees its own team's row alone.
import { describe, expect, it } from 'vitest';
import { chartOf, computedStyle, shownTeamRows } from '../helpers/dashboard-page.js';
import { seededDashboard } from '../helpers/seeded-dashboard.js';

// What the page functions below touch in the browser (this suite compiles without the DOM library).
declare const sessionStorage: { clear(): void };

const DAYS = Array.from({ length: 10 }, (_, i) => `2026-11-${String(11 + i).padStart(2, '0')}`);
const FROM = DAYS[0]!;
const TO = DAYS.at(-1)!;

const ctx = seededDashboard({ days: DAYS, prices: { 'seedream-4': 3, midjourney: 5 } });

/** Chooses a filter and waits for the page to show what it asked for. */
async function choose(filter: 'team' | 'model' | 'modality', value: string, loaded: string): Promise<void> {
  await ctx.page.selectOption(`#${filter}`, value);
  await ctx.page.waitForSelector(`body[data-loaded="${FROM}..${TO}${loaded}"]`);
}

/** Each row of the team table: its team and its cells' first lines, numbers parsed ('–' is null). */
const shownTeams = async () =>
  (await shownTeamRows(ctx.page)).map(({ team, ...columns }) => ({
    team,
    ...Object.fromEntries(
      Object.entries(columns).map(([column, text]) => [
        column,
        text === '–' ? null : Number(text.replace(/[, %]/g, '')),
      ]),
    ),
  })) as (Record<string, number | null> & { team: string })[];

const shownTotal = async () => Number((await ctx.page.textContent('#total-credits'))!.replaceAll(',', ''));

const chartBars = async () => (await chartOf(ctx.page)).datasets;

interface UsageRow {
  team: string;
  day: string;
  credits: number;
  settlements: number;
  refunds: number;
  overrunCredits: number;
}

/** Every bar of the chart is the API's credits of that team and day. */
async function expectBarsOf(rows: UsageRow[]): Promise<void> {
  const bars = await chartBars();
  expect(bars.map((bar) => bar.label)).toEqual([...new Set(rows.map((row) => row.team))].sort());
  for (const row of rows)
    expect(bars.find((bar) => bar.label === row.team)!.data[DAYS.indexOf(row.day)]).toBe(row.credits);
}

describe('the team table', () => {
  it('has a row for every team, budgeted or not, with the API’s numbers', async () => {
    await ctx.openAs(ctx.usageKey, FROM, TO);
    const { rows } = await ctx.api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=team`);
    const { teams } = await ctx.api('/admin/usage/budgets');
    expect(teams.map((team: { id: string }) => team.id)).toEqual(
      expect.arrayContaining(['design', 'finance', 'marketing', 'research']),
    );
    const shown = await shownTeams();
    expect(shown.map((row) => row.team).sort()).toEqual(teams.map((team: { id: string }) => team.id).sort());
    for (const team of teams as { id: string; spent: number; budget: { credits: number } | null }[]) {
      const usage = rows.find((row: UsageRow) => row.team === team.id) ?? {};
      const row = shown.find((candidate) => candidate.team === team.id)!;
      expect(row).toMatchObject({
        credits: usage.credits ?? 0,
        settlements: usage.settlements ?? 0,
        refunds: usage.refunds ?? 0,
        overrunCredits: usage.overrunCredits ?? 0,
        budget: team.budget?.credits ?? null,
        used: team.budget ? Math.round((team.spent / team.budget.credits) * 100) : null,
      });
    }
    expect(shown.find((row) => row.team === 'research')).toMatchObject({ budget: null, used: null });
    expect(shown.find((row) => row.team === 'research')!.credits).toBeGreaterThan(0);
    expect(shown.find((row) => row.team === 'marketing')!.used).toBeGreaterThan(0);
  });

  it('right-aligns its numbers and formats them with thousands separators', async () => {
    const aligned = await ctx.page.$$eval('#teams td[data-column]', (tds) =>
      (tds as unknown as { className: string }[]).every((td) => td.className.split(' ').includes('number')),
    );
    expect(aligned).toBe(true);
    const textAlign = await computedStyle(ctx.page.locator('#teams td[data-column="credits"]').first(), 'textAlign');
    expect(textAlign).toBe('right');
  });
});

describe('on a phone', () => {
  it('fits the screen: only the wide tables scroll sideways, inside their panels', async () => {
    await ctx.page.setViewportSize({ width: 390, height: 800 });
    const widths = async () => ({
      ...(await ctx.page.locator('html').evaluate((html) => ({ page: html.scrollWidth, screen: html.clientWidth }))),
      ...(await ctx.page
        .locator('#teams')
        .evaluate((table) => ({ table: table.scrollWidth, frame: table.parentElement.clientWidth }))),
    });
    // The chart follows the new width on its next resize observation.
    await expect.poll(async () => (await widths()).page).toBeLessThanOrEqual(390);
    const { table, frame } = await widths();
    await ctx.page.setViewportSize({ width: 1280, height: 1000 });
    expect(table).toBeGreaterThan(frame);
  });
});

describe('the filters', () => {
  it('by model: the totals, the chart and the team table count that model alone', async () => {
    const everything = await ctx.api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=day,team`);
    await choose('model', 'midjourney', '?model=midjourney');
    const byDay = await ctx.api(`/admin/usage?from=${FROM}&to=${TO}&model=midjourney&groupBy=day,team`);
    const byTeam = await ctx.api(`/admin/usage?from=${FROM}&to=${TO}&model=midjourney&groupBy=team`);
    expect(byDay.totals.credits).toBeGreaterThan(0);
    expect(byDay.totals.credits).toBeLessThan(everything.totals.credits);
    expect(await shownTotal()).toBe(byDay.totals.credits);
    await expectBarsOf(byDay.rows);
    for (const row of await shownTeams()) {
      expect(row.credits).toBe(byTeam.rows.find((usage: UsageRow) => usage.team === row.team)?.credits ?? 0);
    }
  });

  it('by modality: a modality without usage shows zeros everywhere', async () => {
    await choose('model', '', '');
    await choose('modality', 'video', '?modality=video');
    expect(await shownTotal()).toBe(0);
    expect((await shownTeams()).every((row) => row.credits === 0 && row.settlements === 0)).toBe(true);
    expect(await chartBars()).toEqual([]);
    await choose('modality', 'image', '?modality=image');
    const image = await ctx.api(`/admin/usage?from=${FROM}&to=${TO}&modality=image&groupBy=team`);
    expect(await shownTotal()).toBe(image.totals.credits);
  });

  it('by team: one row, the chart and the totals of that team', async () => {
    await choose('modality', '', '');
    await choose('team', 'design', '?team=design');
    const byDay = await ctx.api(`/admin/usage?from=${FROM}&to=${TO}&team=design&groupBy=day,team`);
    expect(await shownTotal()).toBe(byDay.totals.credits);
    await expectBarsOf(byDay.rows);
    const shown = await shownTeams();
    expect(shown.map((row) => row.team)).toEqual(['design']);
    expect(shown[0]!.credits).toBe(byDay.totals.credits);
    expect(await ctx.page.textContent('#budgets')).not.toContain('Marketing');
  });
});

describe('a usage:read key', () => {
  it('sees its own team’s row alone, without a team filter', async () => {
    await ctx.page.evaluate(() => sessionStorage.clear());
    await ctx.openAs(ctx.marketingUsageKey, FROM, TO);
    const { rows } = await ctx.api(`/admin/usage?from=${FROM}&to=${TO}&groupBy=team`, ctx.marketingUsageKey);
    const shown = await shownTeams();
    expect(shown.map((row) => row.team)).toEqual(['marketing']);
    expect(shown[0]!.credits).toBe(rows[0].credits);
    expect(await ctx.page.isVisible('#team-filter')).toBe(false);
  });
});
