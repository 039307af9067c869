// Budgets and their windows, and the rule for what a key may still spend. Budget windows are
// calendar periods in UTC (ISO weeks start on Monday). Spend is counted in every window at once,
// so a budget can switch period without losing history, and a window resets simply by being
// new: nothing has to run at midnight.
export const BUDGET_PERIODS = ['day', 'week', 'month', 'total'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

export interface Budget {
  credits: number;
  period: BudgetPeriod;
}

/** A budget as a reservation checks it: the window being checked and its limit. */
export interface BudgetCheck {
  window: string;
  limit: number;
  /** Percents of the limit that raise an alert when spend crosses them (see domain/alerts.ts). */
  alerts?: readonly number[];
}

/** A limit and what has been counted against it. */
export interface Allowance {
  limit: number;
  spent: number;
}

export const DAY_MS = 86_400_000;

/**
 * Credits a key may still take: the smaller of its own and its team's room, negative once spend
 * has passed a budget; null when both are unlimited. The RESERVE and ATTACH scripts apply the
 * same rule in Lua (`room`), where it must run atomically with the move.
 */
export function availableCredits(key: Allowance | null, team: Allowance | null): number | null {
  const rooms = [key, team].flatMap((allowance) => (allowance ? [allowance.limit - allowance.spent] : []));
  return rooms.length > 0 ? Math.min(...rooms) : null;
}

/** What is left of `budget` once `spent` is counted, never below 0; null for no budget (unlimited). */
export function remainingOf(budget: Budget | null, spent: number): number | null {
  return budget ? Math.max(0, budget.credits - spent) : null;
}

/** ISO 8601 week of the UTC date at `at`, e.g. "2026-W48". */
function isoWeek(at: number): string {
  const date = new Date(at);
  const weekday = (date.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() - weekday + 3);
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The window id of `period` that contains the instant `at` (ms since epoch). */
export function windowOf(period: BudgetPeriod, at: number): string {
  return windowsOfDay(at)[BUDGET_PERIODS.indexOf(period)]!;
}

/** Every window a spend at `at` counts in. */
export function windowsAt(at: number): string[] {
  return [...windowsOfDay(at)];
}

// Every request asks for the windows of the current day: they are worked out once a day.
let lastDay: { start: number; windows: readonly string[] } | undefined;

function windowsOfDay(at: number): readonly string[] {
  const start = Math.floor(at / DAY_MS) * DAY_MS;
  if (lastDay?.start !== start) lastDay = { start, windows: BUDGET_PERIODS.map((period) => computeWindow(period, at)) };
  return lastDay.windows;
}

function computeWindow(period: BudgetPeriod, at: number): string {
  const iso = new Date(at).toISOString();
  switch (period) {
    case 'day':
      return iso.slice(0, 10);
    case 'week':
      return isoWeek(at);
    case 'month':
      return iso.slice(0, 7);
    case 'total':
      return 'total';
  }
}

export const dayOf = (at: number): string => new Date(at).toISOString().slice(0, 10);

/** Start (inclusive) and end (exclusive) instants of the calendar window of `period` containing `now`. */
export function windowSpan(period: Exclude<BudgetPeriod, 'total'>, now: number): { start: number; end: number } {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  if (period === 'day') return { start: today, end: today + DAY_MS };
  if (period === 'week') {
    const start = today - ((new Date(now).getUTCDay() + 6) % 7) * DAY_MS; // ISO weeks start on Monday
    return { start, end: start + 7 * DAY_MS };
  }
  const date = new Date(now);
  return {
    start: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1),
    end: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1),
  };
}

/** When a budget window (as windowOf names it) ends, in ms; null for `total`, which never ends. */
export function windowEndsAt(window: string): number | null {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(window);
  if (day) return Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]) + 1);
  const month = /^(\d{4})-(\d{2})$/.exec(window);
  if (month) return Date.UTC(Number(month[1]), Number(month[2]), 1);
  const week = /^(\d{4})-W(\d{2})$/.exec(window);
  if (!week) return null;
  // ISO week 1 holds January 4th; weeks start on Monday.
  const january4 = Date.UTC(Number(week[1]), 0, 4);
  const firstMonday = january4 - ((new Date(january4).getUTCDay() + 6) % 7) * DAY_MS;
  return firstMonday + Number(week[2]) * 7 * DAY_MS;
}
