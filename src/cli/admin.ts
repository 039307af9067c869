#!/usr/bin/env node
// apiframe-gateway-admin: manage team keys and team budgets, read usage and prices, through a
// running gateway's admin API. Connection from --url/--token or APIFRAME_GATEWAY_URL/ADMIN_TOKEN; tables by
// default, the API's JSON with --json; any error is one line on stderr and exit code 1.
import { Command, InvalidArgumentError } from 'commander';
import { CliError, createAdminClient, type AdminClient } from './admin-client.js';
import { registerBudgetsCommand } from './budgets.js';
import { exportLedger } from './export.js';
import { details, formatBudget, parseBudget, table, type Budget } from './format.js';
import { registerAlertCommands } from './alerts.js';
import { registerEphemeralKeyCommands } from './mint.js';
import { registerPriceCommands } from './prices.js';
import { registerStatementCommand } from './statements.js';

interface KeyView {
  id: string;
  name: string;
  team: string;
  prefix: string;
  status: string;
  budget: Budget | null;
  spent: number;
  remaining: number | null;
  key?: string;
}

interface TeamView {
  id: string;
  name: string;
  budget: Budget | null;
  window: string;
  spent: number;
  remaining: number | null;
}

interface GlobalOptions {
  url: string;
  token?: string;
  json?: boolean;
}

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
const budgetArgument = (value: string) => {
  try {
    return parseBudget(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};
const integer = (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
};

const program = new Command('apiframe-gateway-admin')
  .description('Manage the team keys and team budgets of an Apiframe gateway.')
  .option(
    '--url <url>',
    'gateway base URL (env APIFRAME_GATEWAY_URL)',
    process.env.APIFRAME_GATEWAY_URL ?? 'http://127.0.0.1:8080',
  )
  .option('--token <token>', 'admin token or admin-scope key (env ADMIN_TOKEN)')
  .option('--json', 'print the API answer as JSON')
  .showHelpAfterError()
  .exitOverride();

function client(): AdminClient {
  const options = program.opts<GlobalOptions>();
  const token = options.token ?? process.env.ADMIN_TOKEN;
  if (!token) throw new CliError('no admin token: pass --token or set ADMIN_TOKEN');
  return createAdminClient({ url: options.url, token });
}

function print(value: unknown, asText: () => string): void {
  process.stdout.write(`${program.opts<GlobalOptions>().json ? JSON.stringify(value, null, 2) : asText()}\n`);
}

const keyRow = (key: KeyView) => [
  key.id,
  key.name,
  key.team,
  key.prefix,
  key.status,
  formatBudget(key.budget),
  key.spent,
  key.remaining ?? 'unlimited',
];
const KEY_HEADINGS = ['id', 'name', 'team', 'prefix', 'status', 'budget', 'spent', 'remaining'];

function printKeyWithSecret(key: KeyView): void {
  const { key: secret, ...shown } = key;
  print(key, () => `${details(shown)}\nKey (shown only now, store it safely): ${secret}`);
}

const keys = program.command('keys').description('team keys');

keys
  .command('create')
  .description('issue a team key')
  .requiredOption('--team <team>', 'team the key belongs to')
  .requiredOption('--name <name>', 'name of the key')
  .option('--budget <budget>', 'e.g. 300/month, 50/day, 1000/total, unlimited', budgetArgument)
  .option(
    '--scopes <scopes>',
    'comma-separated: generate, usage:read (its team), usage:read:all (every team), admin, keys:mint',
    list,
  )
  .option('--models <models>', 'comma-separated models the key may use', list)
  .option('--origins <origins>', 'comma-separated web origins the key may be used from', list)
  .option('--expires <date>', 'expiry, an ISO 8601 date-time')
  .action(async (options) => {
    const key = await client().post<KeyView>('/keys', {
      team: options.team,
      name: options.name,
      ...(options.budget !== undefined && { budget: options.budget }),
      ...(options.scopes && { scopes: options.scopes }),
      ...(options.models && { allowedModels: options.models }),
      ...(options.origins && { allowedOrigins: options.origins }),
      ...(options.expires && { expiresAt: options.expires }),
    });
    printKeyWithSecret(key);
  });

keys
  .command('list')
  .description('list team keys, newest first')
  .option('--team <team>', 'only this team')
  .option('--status <status>', 'active, revoked or expired')
  .option('--limit <n>', 'keys per page (1-200)', integer, 50)
  .option('--cursor <cursor>', 'continue after a previous page')
  .action(async (options) => {
    const query = new URLSearchParams({ limit: String(options.limit) });
    for (const name of ['team', 'status', 'cursor'] as const) if (options[name]) query.set(name, options[name]);
    const page = await client().get<{ keys: KeyView[]; nextCursor: string | null }>(`/keys?${query}`);
    print(page, () => {
      const more = page.nextCursor ? `\nMore: --cursor ${page.nextCursor}` : '';
      return `${table(KEY_HEADINGS, page.keys.map(keyRow))}${more}`;
    });
  });

keys
  .command('show <id>')
  .description('show one key with its spend')
  .action(async (id: string) => {
    const key = await client().get<KeyView>(`/keys/${encodeURIComponent(id)}`);
    print(key, () => details({ ...key }));
  });

keys
  .command('rotate <id>')
  .description('issue a new secret for the key (same id, spend and history)')
  .option('--grace <seconds>', 'how long the old secret keeps working', integer, 0)
  .action(async (id: string, options) => {
    printKeyWithSecret(
      await client().post<KeyView>(`/keys/${encodeURIComponent(id)}/rotate`, { gracePeriodSeconds: options.grace }),
    );
  });

keys
  .command('revoke <id>')
  .description('revoke the key on every gateway instance')
  .action(async (id: string) => {
    const key = await client().delete<KeyView>(`/keys/${encodeURIComponent(id)}`);
    print(key, () => `Revoked ${key.name} (${key.prefix}…, team ${key.team}).`);
  });

const teams = program.command('teams').description('teams and their shared budgets');

teams
  .command('set-budget <team> <budget>')
  .description('set a team budget, e.g. 3000/month or unlimited (creates the team if needed)')
  .action(async (team: string, budgetText: string) => {
    const budget = parseBudget(budgetText);
    const api = client();
    let view: TeamView;
    try {
      view = await api.patch<TeamView>(`/teams/${encodeURIComponent(team)}`, { budget });
    } catch (error) {
      if (!(error instanceof CliError) || error.status !== 404) throw error;
      view = await api.post<TeamView>('/teams', { id: team, budget });
    }
    print(view, () => details({ ...view }));
  });

teams
  .command('show <team>')
  .description('show a team with its spend and remaining credits')
  .action(async (team: string) => {
    const view = await client().get<TeamView>(`/teams/${encodeURIComponent(team)}`);
    print(view, () => details({ ...view }));
  });

teams
  .command('list')
  .description('list teams with their spend')
  .action(async () => {
    const { teams: all } = await client().get<{ teams: TeamView[] }>('/teams');
    print({ teams: all }, () =>
      table(
        ['team', 'name', 'budget', 'window', 'spent', 'remaining'],
        all.map((team) => [
          team.id,
          team.name,
          formatBudget(team.budget),
          team.window,
          team.spent,
          team.remaining ?? 'unlimited',
        ]),
      ),
    );
  });

interface UsageReport {
  rows: (Record<string, string | number> & { credits: number })[];
  groupBy: string[];
  totals: Record<string, number>;
}

function usageQuery(
  options: { from?: string; to?: string; team?: string; key?: string; modality?: string },
  extra: Record<string, string>,
): URLSearchParams {
  const query = new URLSearchParams(extra);
  for (const name of ['from', 'to', 'team', 'key', 'modality'] as const)
    if (options[name]) query.set(name, options[name]);
  return query;
}

const usage = program
  .command('usage')
  .description('credits and jobs per team, key, model, day or modality (default: this month, by team)')
  .option('--from <day>', 'first UTC day, YYYY-MM-DD')
  .option('--to <day>', 'last UTC day, YYYY-MM-DD')
  .option('--group-by <groups>', 'comma-separated: team, key, model, day, modality', 'team')
  .option('--team <team>', 'only this team')
  .option('--key <id>', 'only this key')
  .option('--modality <modality>', 'only this modality: image, video or music')
  .action(async (options) => {
    const report = await client().get<UsageReport>(`/usage?${usageQuery(options, { groupBy: options.groupBy })}`);
    print(report, () => {
      // The metrics are the gateway's to name: the columns follow its totals.
      const metrics = Object.keys(report.totals);
      const groups = report.groupBy.flatMap((group) => (group === 'key' ? ['keyName', 'key'] : [group]));
      const rows = report.rows.map((row) => [
        ...groups.map((group) => row[group]),
        ...metrics.map((metric) => row[metric]),
      ]);
      const total = [
        ...groups.map((_, i) => (i === 0 ? 'total' : '')),
        ...metrics.map((metric) => report.totals[metric]),
      ];
      return table([...groups, ...metrics], [...rows, total]);
    });
  });

usage
  .command('export')
  .description('stream raw ledger entries to a file, with a progress bar')
  .requiredOption('--output <file>', 'file to write')
  .option('--format <format>', 'csv or ndjson', 'csv')
  .option('--from <day>', 'first UTC day, YYYY-MM-DD')
  .option('--to <day>', 'last UTC day, YYYY-MM-DD')
  .option('--team <team>', 'only this team')
  .option('--key <id>', 'only this key')
  .action(async (options) => {
    if (!['csv', 'ndjson'].includes(options.format)) throw new CliError('--format must be csv or ndjson');
    const api = client();
    const { totals } = await api.get<UsageReport>(`/usage?${usageQuery(options, { groupBy: 'team' })}`);
    const expected = totals.reservations! + totals.settlements! + totals.refunds! + totals.releases! + totals.overruns!;
    const written = await exportLedger(
      await api.stream(`/usage/events?${usageQuery(options, { format: options.format })}`),
      {
        file: options.output,
        expected,
        header: options.format === 'csv',
      },
    );
    process.stderr.write(`Exported ${written} ledger entries to ${options.output}\n`);
  });

registerEphemeralKeyCommands(keys, client, print);
registerPriceCommands(program, client, print);
registerBudgetsCommand(usage, client, print);
registerStatementCommand(usage, client);
registerAlertCommands(program, client, print);

try {
  await program.parseAsync();
} catch (error) {
  const code = (error as { code?: string }).code;
  if (code === 'commander.helpDisplayed' || code === 'commander.version') process.exit(0);
  // commander has already printed its own usage errors.
  if (!code?.startsWith('commander.')) process.stderr.write(`error: ${(error as Error).message}\n`);
  process.exit(1);
}
