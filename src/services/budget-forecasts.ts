// Forecasts for the budgets report: every team and key listed gets one, from a single pass over the
// daily aggregates of the days the forecasts need (one read per team, in parallel, its keys' cells
// included; none per key or per forecast). A budgeted window's spend is the view's own (the budget's counters); a team without a
// budget is forecast over the calendar month, its spend added up from the same aggregates.
import { DAY_MS, dayOf, windowSpan, type Budget } from '../domain/budgets.js';
import { forecastSpend, LOOKBACK_DAYS, type Forecast } from '../domain/forecast.js';
import type { Clock } from './clock.js';
import type { Store } from './store/store.js';
import { daysBetween } from './usage-report.js';

/** A team's or key's view as the budgets report lists it. */
export interface BudgetedView {
  id: string;
  budget: Budget | null;
  spent: number;
}

type DailySpend = Map<string, Map<string, number>>;

function addTo(spend: DailySpend, id: string, day: string, credits: number): void {
  const days = spend.get(id) ?? new Map<string, number>();
  days.set(day, (days.get(day) ?? 0) + credits);
  spend.set(id, days);
}

export function createBudgetForecasts(store: Store, clock: Clock) {
  /** Credits per day of each team and each key, from the lookback's first day (or the month's) to today. */
  async function dailySpend(now: number, team: string | undefined) {
    const from = Math.min(now - LOOKBACK_DAYS * DAY_MS, windowSpan('month', now).start);
    const days = daysBetween(dayOf(from), dayOf(now));
    const teams = team ? [team] : await store.teams();
    const cells = (await Promise.all(teams.map((id) => store.aggregates(id, days)))).flat();
    const byTeam: DailySpend = new Map();
    const byKey: DailySpend = new Map();
    for (const cell of cells) {
      addTo(byTeam, cell.team, cell.day, cell.credits);
      addTo(byKey, cell.keyId, cell.day, cell.credits);
    }
    return { byTeam, byKey };
  }

  function forecastOf(view: BudgetedView, daily: Map<string, number> | undefined, now: number): Forecast {
    const days = daily ?? new Map<string, number>();
    let spent = view.spent;
    if (!view.budget) {
      const monthStart = dayOf(windowSpan('month', now).start);
      spent = [...days].reduce((sum, [day, credits]) => (day >= monthStart ? sum + credits : sum), 0);
    }
    return forecastSpend({ now, budget: view.budget, spent, daily: days });
  }

  return {
    /** The views with their forecasts; `team`: the one team they all belong to, when they do. */
    async withForecasts<T extends BudgetedView, K extends BudgetedView>(
      teams: T[],
      keys: K[],
      team?: string,
    ): Promise<{ teams: (T & { forecast: Forecast })[]; keys: (K & { forecast: Forecast })[] }> {
      const now = clock();
      const { byTeam, byKey } = await dailySpend(now, team);
      return {
        teams: teams.map((view) => ({ ...view, forecast: forecastOf(view, byTeam.get(view.id), now) })),
        keys: keys.map((view) => ({ ...view, forecast: forecastOf(view, byKey.get(view.id), now) })),
      };
    },
  };
}

export type BudgetForecasts = ReturnType<typeof createBudgetForecasts>;
