// The finance dashboard: reads the gateway's usage API with a usage:read key (its team's usage),
// a usage:read:all key or the admin token (every team's), kept in sessionStorage (this tab only),
// and shows exactly what the API answers, filtered by team, model and modality.
import { drawAlerts } from './alert-history.js';
import { api, forgetToken, keepToken, query, token } from './api.js';
import { $, daysOf, format } from './dom.js';
import { chartForecast, forecastLines, windowStart } from './forecast.js';
import { drawBudgets, drawModalities, drawTopKeys } from './panels.js';
import { drawChart } from './spend-chart.js';
import { openStatement } from './statement.js';
import { drawTeamTable } from './team-table.js';

const state = { rows: [], from: '', to: '', loads: 0 };
/** The newest alerts the page lists. */
const ALERTS_SHOWN = 50;

function show(signedIn) {
  $('#sign-in').hidden = signedIn;
  $('#report').hidden = !signedIn;
  $('#sign-out').hidden = !signedIn;
  $('#reach').hidden = !signedIn;
}

const filters = () => ({ team: $('#team').value, model: $('#model').value, modality: $('#modality').value });

/** Replaces a filter's choices, keeping the one chosen while it is still offered. */
function offer(select, choices) {
  const chosen = select.value;
  const all = select.options[0];
  if (chosen && !choices.some(([value]) => value === chosen)) choices.push([chosen, chosen]);
  select.replaceChildren(
    all,
    ...choices.map(([value, label]) => {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = label;
      return option;
    }),
  );
  select.value = chosen;
}

/** The current window's daily spend and the gateway's today, and the forecast the chart draws, if any. */
async function currentWindow(teams, { team, model, modality }) {
  const forecast = model || modality ? null : chartForecast(teams);
  const from = forecast ? windowStart(forecast) : undefined;
  const daily = await api(`/admin/usage?${query({ from, team, groupBy: 'day,team' })}`);
  const counted = new Set(forecast?.teams);
  const dailyCredits = new Map();
  for (const row of daily.rows.filter((row) => counted.has(row.team))) {
    dailyCredits.set(row.day, (dailyCredits.get(row.day) ?? 0) + row.credits);
  }
  return { today: daily.to, forecast, dailyCredits };
}

function forecastNote(forecast, teams, { model, modality }, drawn) {
  if (model || modality) return 'The forecast counts every model: clear the model and modality filters to see it.';
  if (!forecast) return teams.some((view) => view.forecast) ? 'Forecast: not enough data yet.' : '';
  const of = teams.length > 1 ? `${forecast.teams.length} teams on a calendar month` : `team ${teams[0].name}`;
  return (
    `Forecast to ${forecast.windowEndsOn} (${of}): ${format(forecast.projected)} credits, ` +
    `likely ${format(forecast.low)}–${format(forecast.high)} (${forecast.method}).` +
    (drawn ? '' : ' Show dates after today to see it drawn.')
  );
}

function drawTotals(totals) {
  $('#total-credits').textContent = format(totals.credits);
  $('#total-charged').textContent = format(totals.charged);
  $('#total-settlements').textContent = format(totals.settlements);
  $('#total-refunds').textContent = format(totals.refunds);
  $('#total-overrun').textContent = format(totals.overrunCredits);
}

/** Everything the page shows for a range and filters, read from the API. */
async function fetchReport(from, to, chosen) {
  const range = query({ from, to, ...chosen });
  const ofTeam = query({ from, to, team: chosen.team });
  const [byDay, byTeam, byKey, byModel, budgets, alerts] = await Promise.all([
    api(`/admin/usage?${range}&groupBy=day,team`),
    api(`/admin/usage?${range}&groupBy=team`),
    api(`/admin/usage?${range}&groupBy=team,key`),
    api(`/admin/usage?${ofTeam}&groupBy=model`),
    api('/admin/usage/budgets'),
    api(`/admin/usage/alerts?${ofTeam}&limit=${ALERTS_SHOWN}`),
  ]);
  const inView = (view) => !chosen.team || view.team === chosen.team || view.id === chosen.team;
  const teams = budgets.teams.filter(inView);
  const current = await currentWindow(teams, chosen);
  const keys = budgets.keys.filter(inView);
  return { byDay, byTeam, byKey, byModel, budgets, alerts: alerts.alerts, teams, keys, current };
}

function draw({ from, to, chosen }, report) {
  const { byDay, byTeam, byKey, byModel, budgets, alerts, teams, keys, current } = report;
  offer(
    $('#team'),
    budgets.teams.map((team) => [team.id, team.name]),
  );
  $('#team-filter').hidden = budgets.teams.length < 2;
  offer(
    $('#model'),
    byModel.rows.map((row) => [row.model, `${row.model} (${row.modality})`]),
  );
  const days = daysOf(from, to);
  Object.assign(state, { rows: byDay.rows, from, to });
  $('#reach').textContent = byDay.team === undefined ? 'All teams' : `Team ${byDay.team}`;
  drawTotals(byDay.totals);
  const lines = current.forecast && forecastLines({ days, ...current });
  drawChart(byDay.rows, days, lines);
  $('#forecast-note').textContent = forecastNote(current.forecast, teams, chosen, Boolean(lines));
  drawTeamTable({ teams, rows: byTeam.rows, month: current.today.slice(0, 7), openStatement });
  drawModalities(byDay.totalsByModality);
  drawTopKeys(byKey.rows);
  drawBudgets({ teams, keys });
  const keyNames = new Map([...byKey.rows, ...keys].map((row) => [row.key ?? row.id, row.keyName ?? row.name]));
  drawAlerts(alerts, keyNames);
}

async function load() {
  const asked = { from: $('#from').value, to: $('#to').value, chosen: filters() };
  // Only the latest load draws: an earlier one answering late must not overwrite it.
  const ticket = ++state.loads;
  delete document.body.dataset.loaded;
  $('#report-error').textContent = '';
  try {
    const report = await fetchReport(asked.from, asked.to, asked.chosen);
    if (ticket !== state.loads) return;
    draw(asked, report);
    const filtered = query(asked.chosen);
    document.body.dataset.loaded = `${asked.from}..${asked.to}${filtered ? `?${filtered}` : ''}`;
  } catch (error) {
    if (ticket !== state.loads) return;
    if (error.status === 401 || error.status === 403) return signOut(error.message);
    $('#report-error').textContent = error.message;
  }
}

/** The rows behind the chart, exactly as shown, as RFC 4180 CSV. */
function csv() {
  const quote = (value) =>
    /[",\r\n]/.test(String(value)) ? `"${String(value).replaceAll('"', '""')}"` : String(value);
  const lines = [['day', 'team', 'credits', 'charged', 'settlements', 'refunds', 'overrunCredits'].join(',')];
  for (const row of state.rows)
    lines.push(
      [row.day, row.team, row.credits, row.charged, row.settlements, row.refunds, row.overrunCredits]
        .map(quote)
        .join(','),
    );
  return `${lines.join('\r\n')}\r\n`;
}

function download() {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([csv()], { type: 'text/csv' }));
  link.download = `usage-${state.from}-to-${state.to}.csv`;
  link.click();
  URL.revokeObjectURL(link.href);
}

function signOut(message = '') {
  forgetToken();
  for (const filter of ['#team', '#model', '#modality']) $(filter).value = '';
  $('#sign-in-error').textContent = message;
  show(false);
}

$('#sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  keepToken($('#token').value.trim());
  $('#token').value = '';
  show(true);
  await load();
});
$('#range').addEventListener('submit', (event) => {
  event.preventDefault();
  void load();
});
for (const filter of ['#team', '#model', '#modality']) $(filter).addEventListener('change', () => void load());
$('#download-csv').addEventListener('click', download);
$('#sign-out').addEventListener('click', () => signOut());

// The current month, to its end: the forecast is drawn over the days still to come.
const month = new Date().toISOString().slice(0, 7);
const [year, monthNumber] = month.split('-').map(Number);
$('#from').value = `${month}-01`;
$('#to').value = new Date(Date.UTC(year, monthNumber, 0)).toISOString().slice(0, 10);
window.addEventListener('load', () => {
  show(Boolean(token()));
  if (token()) void load();
});
