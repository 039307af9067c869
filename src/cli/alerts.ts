// `alerts …`: budget alert thresholds of a team or a key, a team's alert targets, and the alert
// history, through the admin API.
import type { Command } from 'commander';
import type { AdminClient } from './admin-client.js';
import { details, table, type Print } from './format.js';

interface AlertView {
  id: string;
  team: string;
  keyId: string | null;
  kind: string;
  threshold: number | null;
  window: string;
  spent: number;
  limit: number | null;
  at: string;
  deliveries: { targetId: string; state: string; attempts: number }[];
}

/** "50,80,100" as percents, "none" as [], "default" as null (the gateway's default). */
function parseThresholds(text: string): number[] | null {
  if (text === 'default') return null;
  if (text === 'none') return [];
  if (!/^\d+(,\d+)*$/.test(text))
    throw new Error(`thresholds must look like 50,80,100 (or none, default), not "${text}"`);
  return text.split(',').map(Number);
}

function registerTargetCommands(alerts: Command, client: () => AdminClient, print: Print): void {
  const path = (team: string) => `/teams/${encodeURIComponent(team)}/alert-targets`;
  const targets = alerts.command('targets').description("a team's alert targets");
  targets
    .command('add <team> <url>')
    .description('send the team’s alerts to a URL (the secret that signs webhooks is shown once)')
    .option('--format <format>', 'webhook (signed JSON) or slack (incoming webhook)', 'webhook')
    .action(async (team: string, url: string, options: { format: string }) => {
      const target = await client().post<Record<string, unknown>>(path(team), { url, format: options.format });
      print(target, () => `${details(target)}\nKeep the secret: it is not shown again.`);
    });
  targets
    .command('list <team>')
    .description('list the team’s alert targets')
    .action(async (team: string) => {
      const answer = await client().get<{ targets: { id: string; url: string; format: string; createdAt: string }[] }>(
        path(team),
      );
      print(answer, () =>
        table(
          ['id', 'format', 'url', 'created'],
          answer.targets.map((t) => [t.id, t.format, t.url, t.createdAt]),
        ),
      );
    });
  targets
    .command('remove <team> <id>')
    .description('stop sending the team’s alerts to a target')
    .action(async (team: string, id: string) => {
      await client().delete(`${path(team)}/${encodeURIComponent(id)}`);
      print({ removed: id }, () => `Removed alert target ${id} of team ${team}.`);
    });
}

export function registerAlertCommands(program: Command, client: () => AdminClient, print: Print): void {
  const alerts = program.command('alerts').description('budget alerts: thresholds, targets and history');
  alerts
    .command('set-thresholds <team> <thresholds>')
    .description('set alert thresholds, e.g. 50,80,100, none, or default (of the team, or of --key)')
    .option('--key <id>', "set the key's thresholds instead of the team's")
    .action(async (team: string, text: string, options: { key?: string }) => {
      const alertThresholds = parseThresholds(text);
      const path = options.key ? `/keys/${encodeURIComponent(options.key)}` : `/teams/${encodeURIComponent(team)}`;
      const view = await client().patch<{ alertThresholds: number[] | null }>(path, { alertThresholds });
      const shown = view.alertThresholds === null ? 'the default' : view.alertThresholds.join(', ') || 'none';
      print(view, () => `Alert thresholds of ${options.key ? `key ${options.key}` : `team ${team}`}: ${shown}.`);
    });
  registerTargetCommands(alerts, client, print);
  alerts
    .command('history')
    .description('alerts raised, newest first')
    .option('--team <team>', 'only this team')
    .option('--from <day>', 'first UTC day (YYYY-MM-DD)')
    .option('--to <day>', 'last UTC day (YYYY-MM-DD)')
    .option('--limit <n>', 'at most this many', '100')
    .action(async (options: { team?: string; from?: string; to?: string; limit: string }) => {
      const query = new URLSearchParams({ limit: options.limit });
      for (const name of ['team', 'from', 'to'] as const) if (options[name]) query.set(name, options[name]);
      const answer = await client().get<{ alerts: AlertView[] }>(`/usage/alerts?${query}`);
      print(answer, () =>
        table(
          ['at', 'team', 'key', 'kind', 'threshold', 'window', 'spent', 'limit', 'deliveries'],
          answer.alerts.map((a) => [
            a.at,
            a.team,
            a.keyId,
            a.kind,
            a.threshold === null ? null : `${a.threshold}%`,
            a.window,
            a.spent,
            a.limit,
            a.deliveries.map((d) => `${d.state} (${d.attempts})`),
          ]),
        ),
      );
    });
}
