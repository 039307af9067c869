// The per-team table: every team in reach, budgeted or not, with its usage over the range shown
// (filtered like the rest of the page), and its budget, its use, the month-end forecast and the
// day the budget runs out at that pace in the current window; each links to its statement.
import { $, cell, format, numberCell } from './dom.js';
import { usedShare } from './panels.js';

const NO_USAGE = { credits: 0, settlements: 0, refunds: 0, overrunCredits: 0 };

function forecastCells(forecast) {
  if (!forecast) return [numberCell('forecast', null), numberCell('runsOutOn', null)];
  if (forecast.status !== 'ok') return [numberCell('forecast', 'not enough data'), numberCell('runsOutOn', null)];
  const band = `${format(forecast.low)}–${format(forecast.high)}`;
  const projected = numberCell('forecast', forecast.projected, forecast.overBudget ? `${band} · over budget` : band);
  if (forecast.overBudget) projected.classList.add('over');
  return [projected, numberCell('runsOutOn', forecast.runsOutOn)];
}

function statementCell(team, month, openStatement) {
  const link = document.createElement('a');
  link.href = `/admin/usage/statements/${encodeURIComponent(team)}?month=${month}`;
  link.textContent = 'Statement';
  link.className = 'statement';
  link.addEventListener('click', (event) => {
    event.preventDefault();
    void openStatement(link.href, team);
  });
  const td = cell('');
  td.append(link);
  return td;
}

function teamRow(view, usage, month, openStatement) {
  const tr = document.createElement('tr');
  tr.dataset.team = view.id;
  const name = cell(view.name);
  if (view.name !== view.id) {
    const id = document.createElement('small');
    id.textContent = view.id;
    name.append(id);
  }
  const budget = view.budget;
  const used = budget ? Math.round(usedShare(view) * 100) : null;
  tr.append(
    name,
    numberCell('credits', usage.credits),
    numberCell('settlements', usage.settlements),
    numberCell('refunds', usage.refunds),
    numberCell('overrunCredits', usage.overrunCredits),
    numberCell('budget', budget?.credits ?? null, budget ? `per ${budget.period}` : 'unlimited'),
    numberCell('used', used === null ? null : `${used} %`, budget ? `${format(view.spent)} spent` : undefined),
    ...forecastCells(view.forecast),
    statementCell(view.id, month, openStatement),
  );
  if (used !== null && used >= 100) tr.classList.add('spent');
  return tr;
}

/**
 * `teams`: the budget views of the teams in reach; `rows`: the usage report grouped by team (a
 * team that has usage but no record, such as a finance key's own team, still gets its row).
 */
export function drawTeamTable({ teams, rows, month, openStatement }) {
  const usage = new Map(rows.map((row) => [row.team, row]));
  const known = new Set(teams.map((team) => team.id));
  const views = [
    ...teams,
    ...rows
      .filter((row) => !known.has(row.team))
      .map((row) => ({ id: row.team, name: row.team, budget: null, spent: 0, forecast: undefined })),
  ];
  views.sort((a, b) => (usage.get(b.id)?.credits ?? 0) - (usage.get(a.id)?.credits ?? 0) || a.id.localeCompare(b.id));
  $('#teams tbody').replaceChildren(
    ...views.map((view) => teamRow(view, usage.get(view.id) ?? NO_USAGE, month, openStatement)),
  );
}
