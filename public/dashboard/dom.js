// Small DOM helpers shared by the dashboard's panels. Text is always set as text, never as HTML.
export const $ = (selector) => document.querySelector(selector);

export const format = (n) => n.toLocaleString('en-US');

export const DAY_MS = 86_400_000;

/** Every UTC day from `from` to `to` inclusive, YYYY-MM-DD. */
export function daysOf(from, to) {
  const days = [];
  for (let at = Date.parse(`${from}T00:00:00Z`); at <= Date.parse(`${to}T00:00:00Z`); at += DAY_MS) {
    days.push(new Date(at).toISOString().slice(0, 10));
  }
  return days;
}

/** Whole days from one YYYY-MM-DD to another. */
export const daysFrom = (from, to) => Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS);

export function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

/** A table cell holding a number, formatted and right-aligned, with a smaller second line if given. */
export function numberCell(column, value, detail) {
  const td = cell(value === null ? '–' : typeof value === 'number' ? format(value) : value, 'number');
  td.dataset.column = column;
  if (detail) {
    const small = document.createElement('small');
    small.textContent = detail;
    td.append(small);
  }
  return td;
}
