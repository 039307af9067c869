// The admin CLI's finance commands, run as real processes against a listening gateway: the
// budgets with their forecast columns, and a team's statement to stdout or a file (a bad month
// refused in one line).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAdminCli } from '../helpers/admin-cli.js';
import { gatewayOnRedis, testClock, uniqueTeam } from '../helpers/gateway.js';

const clock = testClock('2026-11-02T10:00:00.000Z');
const ctx = gatewayOnRedis({ clock });
const team = uniqueTeam();
let url: string;

beforeAll(async () => {
  url = await ctx.gw.app.listen({ port: 0, host: '127.0.0.1' });
  const key = await ctx.gw.createKey({ team, name: 'cli spender', budget: { credits: 50, period: 'month' } });
  for (const day of ['2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06']) {
    clock.set(`${day}T10:00:00.000Z`);
    const submitted = await ctx.gw.generate(key.key);
    await ctx.gw.poll(key.key, submitted.json().jobId);
  }
});

const cli = (args: string[]) => runAdminCli(url, args);

describe('usage budgets', () => {
  it('lists each budget with its forecast, run-out day and over-budget flag', async () => {
    const json = await cli(['--json', 'usage', 'budgets']);
    expect(json.code, json.stderr).toBe(0);
    const { teams, keys } = JSON.parse(json.stdout) as Record<string, { id: string; name: string; forecast: object }[]>;
    // 3 credits a day since the 3rd; at 10:00 on the 6th, 24.58 days left: 12 + 73.75. The key's 50
    // run out 12.67 days after, early on the 19th; its team has no budget.
    const atPace = { status: 'ok', spent: 12, projected: 86 };
    expect(keys!.find((view) => view.name === 'cli spender')!.forecast).toMatchObject({
      ...atPace,
      overBudget: true,
      runsOutOn: '2026-11-19',
    });
    expect(teams!.find((view) => view.id === team)!.forecast).toMatchObject({
      ...atPace,
      overBudget: false,
      runsOutOn: null,
    });

    const text = await cli(['usage', 'budgets']);
    expect(text.code, text.stderr).toBe(0);
    const line = text.stdout.split('\n').find((row) => row.includes('cli spender'))!;
    const cells = line.split('│').map((cell) => cell.trim());
    expect(cells.slice(1, 2)).toEqual(['key']);
    expect(cells.slice(3, -1)).toEqual([
      'cli spender',
      '50/month',
      '2026-11',
      '12',
      '86',
      '86–86',
      '2026-11-30',
      '2026-11-19',
      'YES',
    ]);
  });
});

describe('usage statement', () => {
  it('writes the CSV statement to stdout and the HTML one to a file', async () => {
    const csv = await cli(['usage', 'statement', team, '--month', '2026-11', '--format', 'csv']);
    expect(csv.code, csv.stderr).toBe(0);
    const lines = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    expect(lines[0]).toMatchObject({ section: 'total', item: team, detail: '2026-11', credits: '12' });

    const file = join(mkdtempSync(join(tmpdir(), 'statement-')), 'statement.html');
    const html = await cli(['usage', 'statement', team, '--output', file]);
    expect(html.code, html.stderr).toBe(0);
    expect(html.stderr).toBe(`Wrote the statement of team ${team} to ${file}\n`);
    const page = readFileSync(file, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<span data-total="credits">12</span>');
  });

  it('refuses a bad month and an unknown format in one line', async () => {
    const month = await cli(['usage', 'statement', team, '--month', '2026-13']);
    expect(month.code).toBe(1);
    expect(month.stderr).toMatch(/^error: .*month: must be a month, YYYY-MM.*\[HTTP 400\]\n$/);
    const format = await cli(['usage', 'statement', team, '--format', 'pdf']);
    expect(format).toMatchObject({ code: 1, stderr: 'error: --format must be html or csv\n' });
  });
});
