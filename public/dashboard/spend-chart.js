// The chart: credits per day stacked by team, over the days of the range; when the range reaches
// past today, the spend of the current window (right-hand axis) and its forecast to the window's
// end, a dashed line inside its shaded band.
import { $ } from './dom.js';

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
const INK = '#1d2433';
const FORECAST = '#c2255c';

let chart = null;

function teamBars(rows, days) {
  const teams = [...new Set(rows.map((row) => row.team))].sort();
  return teams.map((team, i) => ({
    label: team,
    backgroundColor: PALETTE[i % PALETTE.length],
    data: days.map((day) => rows.find((row) => row.team === team && row.day === day)?.credits ?? 0),
  }));
}

function forecastDatasets(lines) {
  const line = { type: 'line', yAxisID: 'window', pointRadius: 0, spanGaps: false, borderWidth: 2 };
  return [
    { ...line, label: 'Spent this window', data: lines.spent, borderColor: INK, fill: false },
    { ...line, label: 'Forecast low', data: lines.low, borderWidth: 0, borderColor: 'transparent', fill: false },
    {
      ...line,
      label: 'Forecast band',
      data: lines.high,
      borderWidth: 0,
      borderColor: 'transparent',
      backgroundColor: 'rgba(194, 37, 92, 0.14)',
      fill: '-1',
    },
    { ...line, label: 'Forecast', data: lines.projected, borderColor: FORECAST, borderDash: [6, 4], fill: false },
  ];
}

/** `lines`: the forecast's lines (forecast.js), or null to draw the bars alone. */
export function drawChart(rows, days, lines) {
  const canvas = $('#spend-chart');
  canvas.dataset.forecast = lines ? 'drawn' : 'none';
  chart?.destroy();
  chart = new window.Chart(canvas, {
    type: 'bar',
    data: { labels: days, datasets: [...teamBars(rows, days), ...(lines ? forecastDatasets(lines) : [])] },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: { stacked: true },
        y: { stacked: true, beginAtZero: true, title: { display: true, text: 'credits per day' } },
        window: {
          display: Boolean(lines),
          position: 'right',
          beginAtZero: true,
          grid: { drawOnChartArea: false },
          title: { display: true, text: 'credits in the window' },
        },
      },
      plugins: {
        legend: { position: 'bottom', labels: { filter: (item) => item.text !== 'Forecast low' } },
      },
    },
  });
}
