// A team statement as CSV: the lines of the HTML page, one section after another (total, budget,
// each model, each key, each day), under one header so a spreadsheet can filter by section.
import { stringify } from 'csv-stringify/sync';
import type { UsageMetrics } from '../usage-report.js';
import type { TeamStatement } from './team-statement.js';

const METRICS = ['credits', 'settlements', 'refunds', 'releases', 'overruns', 'overrunCredits'] as const;
const COLUMNS = ['section', 'item', 'detail', ...METRICS];

type Line = Record<(typeof COLUMNS)[number], string | number>;

const line = (section: string, item: string, detail: string, metrics?: UsageMetrics): Line => ({
  section,
  item,
  detail,
  ...Object.fromEntries(METRICS.map((metric) => [metric, metrics ? metrics[metric] : ''])),
});

export function statementCsv(statement: TeamStatement): string {
  const { budget, budgetUsed } = statement;
  const lines = [
    line('total', statement.team.id, statement.month, statement.totals),
    line(
      'budget',
      budget ? `${budget.credits}/${budget.period}` : 'unlimited',
      budgetUsed === null ? '' : `${budgetUsed.toFixed(1)}% used`,
    ),
    ...statement.byModel.map((row) => line('model', row.model ?? '', row.modality ?? '', row)),
    ...statement.byKey.map((row) => line('key', row.keyName || row.key || '', row.keyPrefix ?? '', row)),
    ...statement.byDay.map((day) => line('day', day.day, '', day)),
  ];
  return stringify(lines, { header: true, columns: COLUMNS });
}
