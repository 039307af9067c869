// A team's statement for one calendar month: its totals by model, by key and by day, read from the
// daily aggregates exactly as /admin/usage reads them (so the two always agree), and its budget
// as set now with the share of it the month used when it is a monthly one.
import { DAY_MS, dayOf, windowSpan, type Budget } from '../../domain/budgets.js';
import { errors } from '../../errors.js';
import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';
import { createUsageReports, emptyMetrics, type UsageMetrics, type UsageRow } from '../usage-report.js';

export interface TeamStatement {
  team: { id: string; name: string };
  /** YYYY-MM */
  month: string;
  from: string;
  to: string;
  generatedAt: string;
  totals: UsageMetrics;
  /** Largest credits first, as are the keys. */
  byModel: UsageRow[];
  byKey: UsageRow[];
  /** Every day of the month, those without spend at 0. */
  byDay: (UsageMetrics & { day: string })[];
  budget: Budget | null;
  /** Percent (one decimal) of a monthly budget the month's credits used; null for any other budget, 0 or none. */
  budgetUsed: number | null;
}

/** A statement is read from the top: the largest spenders first. */
const largestFirst = (rows: UsageRow[]) => [...rows].sort((a, b) => b.credits - a.credits);

export function createTeamStatements(store: Store, clock: Clock) {
  const usage = createUsageReports(store);
  return {
    /** The statement of `team` for `month` (YYYY-MM); 404 when the team does not exist. */
    async statement(team: string, month: string): Promise<TeamStatement> {
      const view = await store.getTeam(team);
      if (!view) throw new errors.TeamNotFound();
      const { start, end } = windowSpan('month', Date.parse(`${month}-01T00:00:00Z`));
      const period = { from: dayOf(start), to: dayOf(end - 1) };
      const [byModel, byKey, byDay] = await Promise.all(
        (['model', 'key', 'day'] as const).map((group) => usage.report({ ...period, team, groupBy: [group] })),
      );
      const spentOn = new Map(byDay!.rows.map(({ day, ...metrics }) => [day!, metrics]));
      const days: TeamStatement['byDay'] = [];
      for (let at = start; at < end; at += DAY_MS)
        days.push({ ...(spentOn.get(dayOf(at)) ?? emptyMetrics()), day: dayOf(at) });
      const totals = byModel!.totals;
      const monthly = view.budget?.period === 'month' ? view.budget.credits : null;
      return {
        team: { id: view.id, name: view.name },
        month,
        ...period,
        generatedAt: new Date(clock()).toISOString(),
        totals,
        byModel: largestFirst(byModel!.rows),
        byKey: largestFirst(byKey!.rows),
        byDay: days,
        budget: view.budget,
        budgetUsed: monthly ? Math.round((totals.credits / monthly) * 1000) / 10 : null,
      };
    },
  };
}

export type TeamStatements = ReturnType<typeof createTeamStatements>;
