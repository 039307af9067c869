// The admin CLI's finance commands, run as real processes against a listening gateway: the
// budgets with their forecast columns.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, gatewayOnRedis, testClock, uniqueTeam } from '../helpers/gateway.js';

const execute = promisify(execFile);
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

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execute(
      process.execPath,
      ['--import', 'tsx', 'src/cli/admin.ts', '--url', url, ...args],
      { env: { PATH: process.env.PATH ?? '', ADMIN_TOKEN } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    return error as { code: number; stdout: string; stderr: string };
  }
}

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
    expect(line).toMatch(
      /│\s*key\s*│.*│\s*cli spender\s*│\s*50\/month\s*│\s*2026-11\s*│\s*12\s*│\s*86\s*│\s*86–86\s*│\s*2026-11-30\s*│\s*2026-11-19\s*│\s*YES/,
    );
  });
});
