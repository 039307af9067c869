// The finance dashboard: reads the gateway's usage API with a usage:read key (its team's usage),
// a usage:read:all key or the admin token (every team's), kept in sessionStorage (this tab only),
// and shows exactly what the API answers. Names are always set as text, never as HTML.
const $ = (selector) => document.querySelector(selector);
const TOKEN = 'apiframe-gateway-token';
const PALETTE = [
  '#3b5bdb',
  '#0ca678',
  '#f59f00',
  '#e64980',
  '#7048e8',
  '#1098ad',
  '#74b816',
  '#f76707',
  '#868e96',
  '#d6336c',
];

const state = { rows: [], from: '', to: '', chart: null };

function token() {
  return sessionStorage.getItem(TOKEN);
}

async function api(path) {
  const response = await fetch(path, { headers: { authorization: `Bearer ${token()}` } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.error ?? `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

function show(signedIn) {
  $('#sign-in').hidden = signedIn;
  $('#report').hidden = !signedIn;
  $('#sign-out').hidden = !signedIn;
  $('#reach').hidden = !signedIn;
}

const today = () => new Date().toISOString().slice(0, 10);
const format = (n) => n.toLocaleString('en-US');

function daysOf(from, to) {
  const days = [];
  for (let at = Date.parse(`${from}T00:00:00Z`); at <= Date.parse(`${to}T00:00:00Z`); at += 86_400_000) {
    days.push(new Date(at).toISOString().slice(0, 10));
  }
  return days;
}

function drawChart(rows, from, to) {
  const days = daysOf(from, to);
  const teams = [...new Set(rows.map((row) => row.team))].sort();
  const datasets = teams.map((team, i) => ({
    label: team,
    backgroundColor: PALETTE[i % PALETTE.length],
    data: days.map((day) => rows.find((row) => row.team === team && row.day === day)?.credits ?? 0),
  }));
  state.chart?.destroy();
  state.chart = new window.Chart($('#spend-chart'), {
    type: 'bar',
    data: { labels: days, datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: { stacked: true },
        y: { stacked: true, beginAtZero: true, title: { display: true, text: 'credits' } },
      },
      plugins: { legend: { position: 'bottom' } },
    },
  });
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function drawTopKeys(rows) {
  const body = $('#top-keys tbody');
  body.replaceChildren();
  const top = [...rows].sort((a, b) => b.credits - a.credits || a.keyName.localeCompare(b.keyName)).slice(0, 10);
  for (const row of top) {
    const tr = document.createElement('tr');
    tr.dataset.key = row.key;
    const name = cell(row.keyName || '(deleted key)');
    const prefix = document.createElement('small');
    prefix.textContent = `${row.keyPrefix}…`;
    name.append(prefix);
    tr.append(name, cell(row.team), cell(format(row.credits), 'number'), cell(format(row.settlements), 'number'));
    body.append(tr);
  }
}

/** The report's totals of each modality (image, video, music, and `other` when the API has one). */
function drawModalities(totalsByModality) {
  const body = $('#by-modality tbody');
  body.replaceChildren();
  for (const [modality, totals] of Object.entries(totalsByModality)) {
    const tr = document.createElement('tr');
    tr.dataset.modality = modality;
    tr.append(
      cell(modality),
      cell(format(totals.credits), 'number'),
      cell(format(totals.charged), 'number'),
      cell(format(totals.settlements), 'number'),
      cell(format(totals.refunds), 'number'),
    );
    body.append(tr);
  }
}

function budgetItem(label, view) {
  const li = document.createElement('li');
  const used = view.budget.credits === 0 ? 1 : view.spent / view.budget.credits;
  const caption = document.createElement('div');
  caption.className = 'caption';
  const name = document.createElement('span');
  name.textContent = label;
  const figures = document.createElement('span');
  figures.textContent = `${format(view.spent)} / ${format(view.budget.credits)} per ${view.budget.period}`;
  caption.append(name, figures);
  const bar = document.createElement('div');
  bar.className = `bar${used >= 1 ? ' full' : used >= 0.8 ? ' high' : ''}`;
  const fill = document.createElement('div');
  fill.style.width = `${Math.min(100, Math.round(used * 100))}%`;
  bar.append(fill);
  li.append(caption, bar);
  li.dataset.spent = String(view.spent);
  return li;
}

function drawBudgets({ teams, keys }) {
  const list = $('#budgets');
  list.replaceChildren(
    ...teams.filter((team) => team.budget).map((team) => budgetItem(`Team ${team.name}`, team)),
    ...keys.map((key) => budgetItem(`Key ${key.name} (${key.team})`, key)),
  );
  if (list.children.length === 0) {
    const none = document.createElement('li');
    none.textContent = 'No budgets set: every team and key is unlimited.';
    list.append(none);
  }
}

async function load() {
  const from = $('#from').value;
  const to = $('#to').value;
  $('#report-error').textContent = '';
  try {
    const range = `from=${from}&to=${to}`;
    const [byDay, byKey, budgets] = await Promise.all([
      api(`/admin/usage?${range}&groupBy=day,team`),
      api(`/admin/usage?${range}&groupBy=team,key`),
      api('/admin/usage/budgets'),
    ]);
    Object.assign(state, { rows: byDay.rows, from, to });
    $('#reach').textContent = byDay.team === undefined ? 'All teams' : `Team ${byDay.team}`;
    $('#total-credits').textContent = format(byDay.totals.credits);
    $('#total-charged').textContent = format(byDay.totals.charged);
    $('#total-settlements').textContent = format(byDay.totals.settlements);
    $('#total-refunds').textContent = format(byDay.totals.refunds);
    $('#total-overrun').textContent = format(byDay.totals.overrunCredits);
    drawChart(byDay.rows, from, to);
    drawModalities(byDay.totalsByModality);
    drawTopKeys(byKey.rows);
    drawBudgets(budgets);
    document.body.dataset.loaded = `${from}..${to}`;
  } catch (error) {
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
  sessionStorage.removeItem(TOKEN);
  $('#sign-in-error').textContent = message;
  show(false);
}

$('#sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN, $('#token').value.trim());
  $('#token').value = '';
  show(true);
  await load();
});
$('#range').addEventListener('submit', (event) => {
  event.preventDefault();
  void load();
});
$('#download-csv').addEventListener('click', download);
$('#sign-out').addEventListener('click', () => signOut());

$('#to').value = today();
$('#from').value = `${today().slice(0, 7)}-01`;
window.addEventListener('load', () => {
  show(Boolean(token()));
  if (token()) void load();
});
