// A team's statement in Chromium with JavaScript off: the totals on the page are the API's, the
// CSP lets its stylesheet through and refuses nothing, and the page prints to an A4 PDF.
import { beforeAll, describe, expect, it } from 'vitest';
import { computedStyle } from '../helpers/dashboard-page.js';
import { seededDashboard } from '../helpers/seeded-dashboard.js';

const DAYS = Array.from({ length: 10 }, (_, i) => `2026-11-${String(11 + i).padStart(2, '0')}`);
// A4 in PostScript points (Letter, the other common size, is 612 × 792).
const A4 = { width: 595.3, height: 841.9 };

const ctx = seededDashboard({
  days: DAYS,
  page: ({ usageKey }) => ({ javaScriptEnabled: false, extraHTTPHeaders: { authorization: `Bearer ${usageKey}` } }),
});
const refusals: string[] = [];

beforeAll(() => {
  ctx.page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) refusals.push(message.text());
  });
});

const shownNumber = async (selector: string) =>
  Number((await ctx.page.locator(selector).first().textContent())!.replaceAll(',', ''));

describe('a team statement in the browser', () => {
  it('shows the totals the usage API reports for the team and month, its largest keys first', async () => {
    const response = await ctx.page.goto(`${ctx.url}/admin/usage/statements/marketing?month=2026-11`);
    expect(response!.status()).toBe(200);
    const { totals } = await ctx.api('/admin/usage?team=marketing&from=2026-11-01&to=2026-11-30');
    expect(totals.credits).toBeGreaterThan(50);
    for (const metric of ['credits', 'settlements', 'refunds', 'releases', 'overruns'])
      expect(await shownNumber(`[data-total="${metric}"]`)).toBe(totals[metric]);
    const tableTotals = ctx.page.locator('tfoot tr td:last-child');
    expect(await tableTotals.count()).toBe(2);
    for (const cell of await tableTotals.all())
      expect(Number((await cell.textContent())!.replaceAll(',', ''))).toBe(totals.credits);
    expect(await ctx.page.locator('svg rect.bar').count()).toBe(30);
    expect(await ctx.page.getByText('Social, "EMEA"', { exact: true }).count()).toBe(1);
    const keyCredits = (await ctx.page.locator('table').nth(1).locator('tbody td:last-child').allTextContents()).map(
      (text) => Number(text.replaceAll(',', '')),
    );
    expect(keyCredits.length).toBe(2);
    expect(keyCredits).toEqual([...keyCredits].sort((a, b) => b - a));
  });

  it('applies its stylesheet under the CSP, with nothing refused', async () => {
    const collapse = await computedStyle(ctx.page.locator('table').first(), 'borderCollapse');
    expect(collapse).toBe('collapse');
    expect(refusals).toEqual([]);
  });

  it('prints to a non-trivial A4 PDF', async () => {
    const pdf = await ctx.page.pdf({ format: 'A4', printBackground: true });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(10_000);
    const text = pdf.toString('latin1');
    const boxes = [...text.matchAll(/\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/g)];
    expect(boxes.length).toBeGreaterThanOrEqual(1);
    for (const [, width, height] of boxes) {
      expect(Math.abs(Number(width) - A4.width)).toBeLessThan(2);
      expect(Math.abs(Number(height) - A4.height)).toBeLessThan(2);
    }
  });
});
