// The report's smaller panels: totals by modality, the top keys and the budget bars.
import { $, cell, format } from './dom.js';

/** The report's totals of each modality (image, video, music, and `other` when the API has one). */
export function drawModalities(totalsByModality) {
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

export function drawTopKeys(rows) {
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

/** The share of a budget spent: a budget of 0 is used up from the start. */
export const usedShare = (view) => (view.budget.credits === 0 ? 1 : view.spent / view.budget.credits);

function budgetItem(label, view) {
  const li = document.createElement('li');
  const used = usedShare(view);
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

export function drawBudgets({ teams, keys }) {
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
