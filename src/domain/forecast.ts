// The forecast of a budget window's spend at its end, from the daily spend: the pace is the mean
// of the last complete days, the band its spread over the days left. Pure: `now` is an argument.
import { DAY_MS, dayOf, windowOf, windowSpan, type Budget } from './budgets.js';

export const FORECAST_METHOD = 'trailing-7-day-mean';
/** Complete days (today excluded: it is not over) whose mean is the pace. */
export const PACE_DAYS = 7;
/** Complete days looked back over for the history a forecast needs. */
export const LOOKBACK_DAYS = 28;
/** Fewer complete days with any spend in the lookback than this: "not-enough-data". */
export const MIN_DAYS_WITH_DATA = 3;
/** The band is projected ± 1.96 standard deviations: about 95 % if days were independent draws. */
const Z_95 = 1.96;
/** Beyond this, a total budget's run-out date at the pace is no date worth showing. */
const MAX_RUN_OUT_DAYS = 3_650;

export interface ForecastInput {
  now: number;
  /** The budget forecast; null: none, the window is then the calendar month. */
  budget: Budget | null;
  /** Credits counted in the window so far, today included. */
  spent: number;
  /** Credits per UTC day (YYYY-MM-DD); a day absent had no data. Only the lookback's days are read. */
  daily: ReadonlyMap<string, number>;
}

export interface Forecast {
  window: string;
  /** The window's last day; a total budget's forecast looks to the end of the calendar month. */
  windowEndsOn: string;
  method: string;
  status: 'ok' | 'not-enough-data';
  spent: number;
  projected: number | null;
  low: number | null;
  high: number | null;
  runsOutOn: string | null;
  overBudget: boolean;
}

/** The daily pace: mean and sample standard deviation of the credits of `days` complete days. */
export interface Pace {
  mean: number;
  sd: number;
  days: number;
}

/**
 * The pace over the last PACE_DAYS complete days, or fewer when the first day with spend in the
 * lookback is more recent (a new team is not averaged with the days before it existed); null
 * when fewer than MIN_DAYS_WITH_DATA complete days of the lookback had any.
 */
export function dailyPace(daily: ReadonlyMap<string, number>, now: number): Pace | null {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const lookback = Array.from({ length: LOOKBACK_DAYS }, (_, i) => dayOf(today - (i + 1) * DAY_MS));
  const withData = lookback.filter((day) => daily.has(day));
  if (withData.length < MIN_DAYS_WITH_DATA) return null;
  const days = Math.min(PACE_DAYS, lookback.indexOf(withData.at(-1)!) + 1);
  const values = lookback.slice(0, days).map((day) => daily.get(day) ?? 0);
  const mean = values.reduce((sum, value) => sum + value, 0) / days;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (days - 1);
  return { mean, sd: Math.sqrt(variance), days };
}

/** The day the budget is reached at the pace: today once reached; null when never, or not before `end`. */
function runsOutOn(limit: number | null, spent: number, pace: Pace, now: number, end: number | null): string | null {
  if (limit === null) return null;
  if (spent >= limit) return dayOf(now);
  if (pace.mean <= 0) return null;
  const daysToGo = (limit - spent) / pace.mean;
  const at = now + daysToGo * DAY_MS;
  if (end === null ? daysToGo > MAX_RUN_OUT_DAYS : at >= end) return null;
  return dayOf(at);
}

/**
 * Spend at the window's end: spent + pace × days left (today's rest counted as a fraction), with
 * a band of ± 1.96 × sd × √(h + h²/n) over h days left and n days of pace (the spread of the days
 * to come and the uncertainty of the mean itself), its low end never below what is spent. A total
 * budget has no end: its projection is for the end of the calendar month, and it runs out
 * whenever the pace reaches it.
 */
export function forecastSpend({ now, budget, spent, daily }: ForecastInput): Forecast {
  const period = budget?.period ?? 'month';
  const { end } = windowSpan(period === 'total' ? 'month' : period, now);
  const limit = budget?.credits ?? null;
  const shown = { window: windowOf(period, now), windowEndsOn: dayOf(end - DAY_MS), method: FORECAST_METHOD, spent };
  const pace = dailyPace(daily, now);
  if (!pace)
    return {
      ...shown,
      status: 'not-enough-data',
      projected: null,
      low: null,
      high: null,
      runsOutOn: null,
      overBudget: limit !== null && spent > limit,
    };
  const daysLeft = (end - now) / DAY_MS;
  const projected = spent + pace.mean * daysLeft;
  const spread = Z_95 * pace.sd * Math.sqrt(daysLeft + daysLeft ** 2 / pace.days);
  return {
    ...shown,
    status: 'ok',
    projected: Math.round(projected),
    low: Math.round(Math.max(spent, projected - spread)),
    high: Math.round(projected + spread),
    runsOutOn: runsOutOn(limit, spent, pace, now, period === 'total' ? null : end),
    overBudget: limit !== null && Math.round(projected) > limit,
  };
}
