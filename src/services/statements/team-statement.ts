// A team's statement for one calendar month: its totals by model, by key and by day, read from the
// daily aggregates exactly as /admin/usage reads them (so the two always agree), and its budget
// as set now with the share of it the month used when it is a monthly one.
import { dayOf, windowSpan, type Budget } from '../../domain/budgets.js';
import { errors } from '../../errors.js';
import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';
import { daysBetween, emptyMetrics, type UsageMetrics, type UsageReports, type UsageRow } from '../usage-report.js';

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

export function createTeamStatements(store: Store, usage: UsageReports, clock: Clock) {
  return {
    /** The statement of `team` for `month` (YYYY-MM); 404 when the team does not exist. */
    async statement(team: string, month: string): Promise<TeamStatement> {
      const view = await store.getTeam(team);
      if (!view) throw new errors.TeamNotFound();
      const { start, end } = windowSpan('month', Date.parse(`${month}-01T00:00:00Z`));
      const period = { from: dayOf(start), to: dayOf(end - 1) };
      const [byModel, byKey, byDay] = await usage.reports({ ...period, team }, [['model'], ['key'], ['day']]);
      const spentOn = new Map(byDay!.rows.map(({ day, ...metrics }) => [day!, metrics]));
      const days = daysBetween(period.from, period.to).map((day) => ({ ...(spentOn.get(day) ?? emptyMetrics()), day }));
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
