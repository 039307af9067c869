// Budget windows are calendar periods in UTC. Spend is counted in every window at once, so a
// budget can switch period without losing history; a window resets simply by being new.
export const BUDGET_PERIODS = ['day', 'month', 'total'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

export interface Budget {
  credits: number;
  period: BudgetPeriod;
}

/** The window id of `period` that contains the instant `at` (ms since epoch). */
export function windowOf(period: BudgetPeriod, at: number): string {
  const iso = new Date(at).toISOString();
  switch (period) {
    case 'day':
      return iso.slice(0, 10);
    case 'month':
      return iso.slice(0, 7);
    case 'total':
      return 'total';
  }
}

/** Every window a spend at `at` counts in. */
export function windowsAt(at: number): string[] {
  return BUDGET_PERIODS.map((period) => windowOf(period, at));
}
