// A team statement as one printable HTML page: no script, one stylesheet in the page (allowed by
// its hash in the Content-Security-Policy, so a saved copy reads the same), the daily chart as
// inline SVG drawn with attributes only. Every name a user chose is escaped.
import { createHash } from 'node:crypto';
import type { UsageRow } from '../usage-report.js';
import type { TeamStatement } from './team-statement.js';

const STYLE = `
@page { size: A4; margin: 14mm; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; margin: 24px auto;
  max-width: 960px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid #d5d9e0; padding-bottom: 4px; }
.meta { color: #5b6475; margin: 0; }
.summary { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px 24px; margin: 20px 0 0; }
.summary div { border: 1px solid #d5d9e0; border-radius: 6px; padding: 8px 12px; break-inside: avoid; }
.summary dt { color: #5b6475; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.summary dd { margin: 2px 0 0; font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.summary dd small { font-size: 12px; font-weight: 400; color: #5b6475; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e6e9ee; }
th.n, td.n { text-align: right; }
thead th { font-size: 12px; color: #5b6475; font-weight: 600; }
tfoot td { font-weight: 600; border-top: 2px solid #1d2330; }
tr { break-inside: avoid; }
.empty { color: #5b6475; font-style: italic; }
svg { width: 100%; height: auto; }
.bar { fill: #3b6fd8; }
.axis { stroke: #9aa3b2; stroke-width: 1; }
.label { fill: #5b6475; font-size: 11px; }
footer { margin-top: 28px; color: #5b6475; font-size: 12px; }
@media print { body { margin: 0; max-width: none; padding: 0; } h2 { break-after: avoid; } }
`;

/** The CSP source that allows the page's one stylesheet, and nothing else inline. */
export const STATEMENT_STYLE_SOURCE = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
const number = (value: number): string => value.toLocaleString('en-US');

const COLUMNS = [
  ['settlements', 'Jobs charged'],
  ['refunds', 'Refunds'],
  ['releases', 'Releases'],
  ['overruns', 'Overruns'],
  ['overrunCredits', 'Overrun credits'],
  ['credits', 'Credits'],
] as const;

function table(
  labels: string[],
  rows: UsageRow[],
  cells: (row: UsageRow) => string[],
  totals: TeamStatement['totals'],
): string {
  const head = [
    ...labels.map((label) => `<th>${label}</th>`),
    ...COLUMNS.map(([, label]) => `<th class="n">${label}</th>`),
  ];
  const metrics = (row: Pick<UsageRow, (typeof COLUMNS)[number][0]>) =>
    COLUMNS.map(([metric]) => `<td class="n">${number(row[metric])}</td>`).join('');
  const named = (row: UsageRow) => cells(row).map((cell) => `<td>${escapeHtml(cell)}</td>`);
  const body =
    rows.length === 0
      ? `<tr><td class="empty" colspan="${head.length}">No spend this month.</td></tr>`
      : rows.map((row) => `<tr>${named(row).join('')}${metrics(row)}</tr>`).join('\n');
  const total = `<tr><td colspan="${labels.length}">Total</td>${metrics(totals)}</tr>`;
  return `<table><thead><tr>${head.join('')}</tr></thead><tbody>\n${body}\n</tbody><tfoot>${total}</tfoot></table>`;
}

function dailyChart(days: TeamStatement['byDay']): string {
  const width = 720;
  const height = 180;
  const left = 44;
  const top = 12;
  const bottom = 156;
  const max = Math.max(1, ...days.map((day) => day.credits));
  const step = (width - left - 8) / days.length;
  const bars = days.map(({ day, credits }, i) => {
    const barHeight = (Math.max(0, credits) / max) * (bottom - top);
    const x = (left + i * step + step * 0.15).toFixed(1);
    const box = `x="${x}" y="${(bottom - barHeight).toFixed(1)}" width="${(step * 0.7).toFixed(1)}"`;
    const title = `<title>${day}: ${number(credits)} credits</title>`;
    return `<rect class="bar" ${box} height="${barHeight.toFixed(1)}">${title}</rect>`;
  });
  const labels = days
    .map(({ day }, i) => ({ day: Number(day.slice(8)), x: left + i * step + step / 2 }))
    .filter(({ day }) => day === 1 || day % 5 === 0)
    .map(({ day, x }) => {
      const at = `x="${x.toFixed(1)}" y="${bottom + 16}"`;
      return `<text class="label" ${at} text-anchor="middle">${day}</text>`;
    });
  return [
    `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="Credits per day" xmlns="http://www.w3.org/2000/svg">`,
    `<line class="axis" x1="${left}" y1="${bottom}" x2="${width - 8}" y2="${bottom}"/>`,
    `<text class="label" x="${left - 6}" y="${top + 4}" text-anchor="end">${number(max)}</text>`,
    `<text class="label" x="${left - 6}" y="${bottom}" text-anchor="end">0</text>`,
    ...bars,
    ...labels,
    '</svg>',
  ].join('\n');
}

function budgetLine(statement: TeamStatement): string {
  const { budget, budgetUsed } = statement;
  if (!budget) return 'None <small>(unlimited)</small>';
  const set = `${number(budget.credits)} <small>credits / ${budget.period}</small>`;
  if (budgetUsed === null) return set;
  return `${set}<br><span data-budget-used>${budgetUsed.toFixed(1)} %</span> <small>used</small>`;
}

export function statementHtml(statement: TeamStatement): string {
  const { team, totals } = statement;
  const name = escapeHtml(team.name);
  const monthName = new Date(`${statement.month}-01T00:00:00Z`).toLocaleString('en-US', {
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
  const figure = (label: string, metric: keyof typeof totals, note = '') =>
    `<div><dt>${label}</dt><dd><span data-total="${metric}">${number(totals[metric])}</span>` +
    `${note && ` <small>${note}</small>`}</dd></div>`;
  const period = `${monthName} (${statement.from} to ${statement.to}, UTC)`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Statement: ${name}, ${monthName}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Usage statement: ${name}</h1>
<p class="meta">Team <code>${escapeHtml(team.id)}</code> · ${period} · generated ${statement.generatedAt}</p>
</header>
<dl class="summary">
${figure('Credits', 'credits')}
${figure('Jobs charged', 'settlements')}
${figure('Refunds', 'refunds', 'jobs failed or cancelled')}
${figure('Overruns', 'overruns', `${number(totals.overrunCredits)} credits beyond reservations`)}
${figure('Releases', 'releases', 'reservations returned before a job')}
<div><dt>Budget</dt><dd>${budgetLine(statement)}</dd></div>
</dl>
<h2>Credits per day</h2>
${dailyChart(statement.byDay)}
<h2>By model</h2>
${table(['Model', 'Modality'], statement.byModel, (row) => [row.model ?? '', row.modality ?? ''], totals)}
<h2>By key</h2>
${table(['Key', 'Prefix'], statement.byKey, (row) => [row.keyName || row.key || '', row.keyPrefix ?? ''], totals)}
<footer>Credits are counted on the UTC day they were reserved, as budgets count them, net of refunds and releases.
The budget is the team's as set when this statement was made.</footer>
</body>
</html>
`;
}
