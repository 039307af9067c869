// The forecast the chart draws, and its lines day by day. The API gives each team's forecast at
// the end of its budget window (a team without a budget: the calendar month); the chart draws
// one: the team's when the page shows one team, else the sum of the teams whose window is the
// calendar month (the sum of their bands is wider than the band of the sum: a cautious range).
import { DAY_MS, daysFrom } from './dom.js';

const MONTH = /^\d{4}-\d{2}$/;

export function chartForecast(teams) {
  const forecasting = teams.filter((team) => team.forecast?.status === 'ok');
  if (teams.length === 1) return forecasting[0] ? { ...forecasting[0].forecast, teams: [teams[0].id] } : null;
  const monthly = forecasting.filter((team) => MONTH.test(team.forecast.window));
  if (monthly.length === 0) return null;
  const sum = (field) => monthly.reduce((total, team) => total + team.forecast[field], 0);
  const { window, windowEndsOn, method } = monthly[0].forecast;
  const fields = ['spent', 'projected', 'low', 'high'].map((field) => [field, sum(field)]);
  return { window, windowEndsOn, method, teams: monthly.map((team) => team.id), ...Object.fromEntries(fields) };
}

/** The first day of a forecast's window: a month's first, an ISO week's Monday, a day itself. */
export function windowStart(forecast) {
  if (MONTH.test(forecast.window)) return `${forecast.window}-01`;
  if (/^\d{4}-W\d{2}$/.test(forecast.window)) {
    return new Date(Date.parse(forecast.windowEndsOn) - 6 * DAY_MS).toISOString().slice(0, 10);
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(forecast.window)) return forecast.window;
  return `${forecast.windowEndsOn.slice(0, 7)}-01`;
}

/**
 * For each day of the chart: the credits spent in the window up to that day (from its start to
 * `today`), and from `today` to the window's end the projected spend and its band, straight
 * lines from what is spent today to the forecast at the window's end. Null where a line has no
 * point; null altogether when the chart shows no day after today.
 */
export function forecastLines({ days, today, forecast, dailyCredits }) {
  const end = forecast.windowEndsOn;
  if (days.at(-1) <= today || end <= today) return null;
  const start = windowStart(forecast);
  const span = daysFrom(today, end);
  let spent = 0;
  for (const [day, credits] of dailyCredits) if (day >= start && day < days[0]) spent += credits;
  const lines = { spent: [], projected: [], low: [], high: [] };
  for (const day of days) {
    if (day >= start && day <= today) spent += dailyCredits.get(day) ?? 0;
    lines.spent.push(day >= start && day <= today ? spent : null);
    const along = day >= today && day <= end ? daysFrom(today, day) / span : null;
    for (const field of ['projected', 'low', 'high']) {
      const at = along === null ? null : forecast.spent + (forecast[field] - forecast.spent) * along;
      lines[field].push(at === null ? null : Math.round(at));
    }
  }
  return lines;
}
