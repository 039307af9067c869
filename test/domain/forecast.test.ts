// The forecast of a window's end: pace, band, run-out day and the over-budget flag, for each kind
// of window, and "not-enough-data" (never a NaN) when the history is too short.
import { describe, expect, it } from 'vitest';
import { dailyPace, forecastSpend, type Forecast, type ForecastInput } from '../../src/domain/forecast.js';

// A Tuesday, at noon: the month has 20.5 days left, its ISO week 5.5.
const NOW = Date.parse('2026-11-10T12:00:00.000Z');

/** `credits` on each of the `count` complete days before NOW (most recent first when an array). */
function history(credits: number | number[], count = 28): Map<string, number> {
  const values = Array.isArray(credits) ? credits : Array.from({ length: count }, () => credits);
  return new Map(
    values.map((value, i) => [
      new Date(Date.parse('2026-11-09T00:00:00Z') - i * 86_400_000).toISOString().slice(0, 10),
      value,
    ]),
  );
}

/** The forecast of `spent` against `budget`, made at NOW after 10 credits a day unless told otherwise. */
const forecastOf = ({
  now = NOW,
  daily = history(10),
  ...input
}: Pick<ForecastInput, 'budget' | 'spent'> & Partial<ForecastInput>) => forecastSpend({ now, daily, ...input });

const finite = (forecast: Forecast) =>
  [forecast.spent, forecast.projected, forecast.low, forecast.high].every(
    (value) => value === null || Number.isFinite(value),
  );

describe('forecastSpend', () => {
  it('projects spent + pace × days left, with the run-out day and the over-budget flag', () => {
    const forecast = forecastOf({ budget: { credits: 250, period: 'month' }, spent: 95 });
    expect(forecast).toEqual({
      window: '2026-11',
      windowEndsOn: '2026-11-30',
      method: 'trailing-7-day-mean',
      status: 'ok',
      spent: 95,
      projected: 300,
      low: 300,
      high: 300,
      runsOutOn: '2026-11-26',
      overBudget: true,
    });
    const roomy = forecastOf({ budget: { credits: 400, period: 'month' }, spent: 95 });
    expect(roomy).toMatchObject({ projected: 300, runsOutOn: null, overBudget: false });
  });

  it('gives a band of ± 1.96 sd √(h + h²/n) around the projection, never below what is spent', () => {
    const daily = history([4, 16, 4, 16, 4, 16, 10, 1000]); // the eighth day is outside the pace
    expect(dailyPace(daily, NOW)).toEqual({ mean: 10, sd: 6, days: 7 });
    const forecast = forecastOf({ budget: null, spent: 95, daily });
    expect(forecast).toMatchObject({ projected: 300, low: 194, high: 406, runsOutOn: null, overBudget: false });
    const evening = Date.parse('2026-11-10T18:00:00Z');
    const late = forecastOf({ now: evening, budget: { credits: 100, period: 'day' }, spent: 1, daily });
    expect(late).toMatchObject({ projected: 4, low: 1, high: 9 });
  });

  it('averages a new team over the days since its first spend, not the days before it existed', () => {
    expect(dailyPace(history([12, 9, 6]), NOW)).toEqual({ mean: 9, sd: 3, days: 3 });
  });

  it('forecasts a day and an ISO week to their own ends', () => {
    const day = forecastOf({ budget: { credits: 50, period: 'day' }, spent: 20 });
    expect(day).toMatchObject({ window: '2026-11-10', windowEndsOn: '2026-11-10', projected: 25, runsOutOn: null });
    const week = forecastOf({ budget: { credits: 60, period: 'week' }, spent: 15 });
    expect(week).toMatchObject({
      window: '2026-W46',
      windowEndsOn: '2026-11-15',
      projected: 70,
      runsOutOn: '2026-11-15',
      overBudget: true,
    });
  });

  it('looks to the month end for a total budget, which runs out whenever the pace reaches it', () => {
    const total = forecastOf({ budget: { credits: 1000, period: 'total' }, spent: 900 });
    expect(total).toMatchObject({
      window: 'total',
      windowEndsOn: '2026-11-30',
      projected: 1105,
      runsOutOn: '2026-11-20',
      overBudget: true,
    });
    const far = forecastOf({ budget: { credits: 1e9, period: 'total' }, spent: 0, daily: history(1) });
    expect(far.runsOutOn).toBeNull();
  });

  it('says a budget already reached runs out today', () => {
    const spentUp = forecastOf({ budget: { credits: 90, period: 'month' }, spent: 95 });
    expect(spentUp).toMatchObject({ runsOutOn: '2026-11-10', overBudget: true });
  });

  it('answers "not-enough-data" with nulls, not NaN, below three complete days with spend', () => {
    const sparse = [
      new Map<string, number>(),
      history([5, 5]),
      new Map([['2026-11-10', 50]]), // today is not over: not part of the history
      new Map([
        ['2026-11-09', 7],
        ['2026-10-20', 7],
        ['2026-10-12', 7], // before the 28 days looked back over
      ]),
    ];
    for (const daily of sparse) {
      const forecast = forecastOf({ budget: { credits: 100, period: 'month' }, spent: 10, daily });
      expect(forecast).toMatchObject({
        status: 'not-enough-data',
        projected: null,
        low: null,
        high: null,
        runsOutOn: null,
        overBudget: false,
      });
      expect(finite(forecast)).toBe(true);
    }
    const over = forecastOf({ budget: { credits: 5, period: 'month' }, spent: 10, daily: new Map() });
    expect(over).toMatchObject({ status: 'not-enough-data', overBudget: true });
  });

  it('projects what is spent when the days with data spent nothing', () => {
    const forecast = forecastOf({ budget: { credits: 100, period: 'month' }, spent: 10, daily: history(0, 3) });
    expect(forecast).toMatchObject({ status: 'ok', projected: 10, low: 10, high: 10, runsOutOn: null });
    expect(finite(forecast)).toBe(true);
  });
});
