// Every admin CLI command, run as a real process against a listening gateway.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAdminCli } from '../helpers/admin-cli.js';
import { gatewayOnRedis, SEED_BODY, uniqueTeam } from '../helpers/gateway.js';

const ctx = gatewayOnRedis();
let url: string;

beforeAll(async () => {
  url = await ctx.gw.app.listen({ port: 0, host: '127.0.0.1' });
});

const cli = (args: string[], env?: Record<string, string>) => runAdminCli(url, args, env);

const json = async (args: string[]) => {
  const run = await cli(['--json', ...args]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
};

describe('apiframe-gateway-admin', () => {
  it('keys create prints the key once, as a table or as JSON', async () => {
    const team = uniqueTeam();
    const run = await cli([
      'keys',
      'create',
      '--team',
      team,
      '--name',
      'cli key',
      '--budget',
      '300/month',
      '--scopes',
      'generate,usage:read',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Key \(shown only now, store it safely\): gk_[A-Za-z0-9_-]{43}/);
    expect(run.stdout).toContain('300/month');
    expect(run.stdout).toMatch(/│ team\s+│ [^│]*│/);

    const created = await json([
      'keys',
      'create',
      '--team',
      team,
      '--name',
      'second',
      '--origins',
      'https://app.example.com',
      '--models',
      'seedream-4',
    ]);
    expect(created).toMatchObject({
      team,
      name: 'second',
      allowedOrigins: ['https://app.example.com'],
      allowedModels: ['seedream-4'],
    });
    expect(created.key).toMatch(/^gk_/);
  });

  it('keys list shows a table, filters by team and pages', async () => {
    const team = uniqueTeam();
    const ids = [];
    for (const name of ['a', 'b', 'c']) ids.push((await json(['keys', 'create', '--team', team, '--name', name])).id);
    const run = await cli(['keys', 'list', '--team', team]);
    expect(run.code).toBe(0);
    for (const id of ids) expect(run.stdout).toContain(id);
    expect(run.stdout).toMatch(/id\s+│ name\s+│ team/);
    const page = await json(['keys', 'list', '--team', team, '--limit', '2']);
    expect(page.keys).toHaveLength(2);
    const rest = await json(['keys', 'list', '--team', team, '--limit', '2', '--cursor', page.nextCursor]);
    expect([...page.keys, ...rest.keys].map((k: { id: string }) => k.id).sort()).toEqual([...ids].sort());
    const pagedTable = await cli(['keys', 'list', '--team', team, '--limit', '2']);
    expect(pagedTable.stdout).toContain(`More: --cursor ${page.nextCursor}`);
  });

  it('keys show, rotate and revoke', async () => {
    const created = await json(['keys', 'create', '--team', uniqueTeam(), '--name', 'to rotate']);
    const shown = await cli(['keys', 'show', created.id]);
    expect(shown.stdout).toContain(created.prefix);
    expect(shown.stdout).not.toContain(created.key);

    const rotated = await json(['keys', 'rotate', created.id, '--grace', '60']);
    expect(rotated.key).not.toBe(created.key);
    expect(rotated.previousKeyValidUntil).toEqual(expect.any(String));

    const revoked = await cli(['keys', 'revoke', created.id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked to rotate (${rotated.prefix}…`);
    expect((await json(['keys', 'show', created.id])).status).toBe('revoked');
  });

  it('teams set-budget creates or updates, and teams show / list report spend', async () => {
    const team = uniqueTeam();
    expect(await json(['teams', 'set-budget', team, '3000/month'])).toMatchObject({
      id: team,
      budget: { credits: 3000, period: 'month' },
      remaining: 3000,
    });
    expect(await json(['teams', 'set-budget', team, 'unlimited'])).toMatchObject({ budget: null, remaining: null });
    const shown = await cli(['teams', 'show', team]);
    expect(shown.stdout).toMatch(/budget\s+│ unlimited/);
    const listed = await cli(['teams', 'list']);
    expect(listed.stdout).toContain(team);
  });

  it('usage prints a report with totals, and usage export writes the ledger with every entry', async () => {
    const team = uniqueTeam();
    const key = await ctx.gw.createKey({ team, name: 'usage, "quoted"' });
    await ctx.gw.generate(key.key);
    const failed = await ctx.gw.generate(key.key, { ...SEED_BODY, prompt: 'x [sim:fail]' });
    await ctx.gw.poll(key.key, failed.json().jobId);

    const report = await json(['usage', '--team', team, '--group-by', 'key']);
    expect(report.totals).toMatchObject({ credits: 3, reservations: 2, refunds: 1 });
    const printed = await cli(['usage', '--team', team, '--group-by', 'team,model']);
    expect(printed.stdout).toMatch(/│ total\s+│\s+│ 3\s+│/);
    expect(printed.stdout).toContain('seedream-4');

    const dir = mkdtempSync(join(tmpdir(), 'gw-export-'));
    const csv = await cli(['usage', 'export', '--team', team, '--output', join(dir, 'ledger.csv')]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stderr).toContain(`Exported 3 ledger entries to ${join(dir, 'ledger.csv')}`);
    const lines = readFileSync(join(dir, 'ledger.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('id,ts,day,team,kind,keyId,model,credits,jobId,reservationId,requestId,note');
    expect(lines.slice(1).map((line) => line.split(',')[4])).toEqual(['reserve', 'reserve', 'refund']);

    const ndjson = await cli([
      'usage',
      'export',
      '--team',
      team,
      '--format',
      'ndjson',
      '--output',
      join(dir, 'ledger.ndjson'),
    ]);
    expect(ndjson.code, ndjson.stderr).toBe(0);
    const entries = readFileSync(join(dir, 'ledger.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(entries.reduce((sum, entry) => sum + entry.credits, 0)).toBe(3);
  });

  it('exits 1 with one clear line on any error', async () => {
    const wrongToken = await cli(['keys', 'list'], { ADMIN_TOKEN: 'wrong-token-0123456789' });
    expect(wrongToken).toMatchObject({ code: 1, stdout: '' });
    expect(wrongToken.stderr).toBe('error: Invalid or missing admin token [HTTP 401]\n');

    const noToken = await cli(['keys', 'list'], {});
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('no admin token');

    const unknown = await cli(['keys', 'show', '00000000-0000-4000-8000-000000000000']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: Key not found [HTTP 404]\n');

    const badBudget = await cli(['teams', 'set-budget', uniqueTeam(), 'lots']);
    expect(badBudget.code).toBe(1);
    expect(badBudget.stderr).toContain('budget must look like 300/month');

    const invalid = await cli(['keys', 'create', '--team', 'has space', '--name', 'x']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('Validation failed (team: must be 1-64 letters');

    const unreachable = await cli(['--url', 'http://127.0.0.1:9', 'keys', 'list']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('cannot reach the gateway at http://127.0.0.1:9');
  });
});
