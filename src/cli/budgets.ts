// `usage budgets`: every team and budgeted key with its spend in the window and the forecast of
// the window's end (projection, band, the day the budget runs out at the pace, over budget or not).
import type { Command } from 'commander';
import type { AdminClient } from './admin-client.js';
import { formatBudget, table, type Budget, type Print } from './format.js';

interface Forecast {
  window: string;
  windowEndsOn: string;
  spent: number;
  status: string;
  projected: number | null;
  low: number | null;
  high: number | null;
  runsOutOn: string | null;
  overBudget: boolean;
}

interface Budgeted {
  id: string;
  name: string;
  budget: Budget | null;
  forecast: Forecast;
}

const HEADINGS = [
  '',
  'id',
  'name',
  'budget',
  'window',
  'spent',
  'forecast',
  'band',
  'ends on',
  'runs out',
  'over budget',
];

function row(kind: string, view: Budgeted): unknown[] {
  const { forecast } = view;
  const ok = forecast.status === 'ok';
  return [
    kind,
    view.id,
    view.name,
    formatBudget(view.budget),
    forecast.window,
    forecast.spent,
    ok ? forecast.projected : 'not enough data',
    ok ? `${forecast.low}–${forecast.high}` : null,
    forecast.windowEndsOn,
    forecast.runsOutOn,
    forecast.overBudget ? 'YES' : 'no',
  ];
}

export function registerBudgetsCommand(usage: Command, client: () => AdminClient, print: Print): void {
  usage
    .command('budgets')
    .description("budgets, spend and the forecast of each window's end, for every team and budgeted key")
    .action(async () => {
      const answer = await client().get<{ teams: Budgeted[]; keys: Budgeted[] }>('/usage/budgets');
      print(answer, () =>
        table(HEADINGS, [
          ...answer.teams.map((team) => row('team', team)),
          ...answer.keys.map((key) => row('key', key)),
        ]),
      );
    });
}
