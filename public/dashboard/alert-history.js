// The alert history: the budget alerts raised over the dates and team shown, newest first, with
// the state of their deliveries.
import { $, cell, format, numberCell } from './dom.js';

function what(alert) {
  return alert.kind === 'overrun' ? 'Overrun: a job cost more than reserved' : `${alert.threshold} % of the budget`;
}

function deliveries(alert) {
  if (alert.deliveries.length === 0) return 'no alert target';
  const counts = new Map();
  for (const { state } of alert.deliveries) counts.set(state, (counts.get(state) ?? 0) + 1);
  return [...counts].map(([state, count]) => `${count} ${state}`).join(', ');
}

/** `keyNames`: the names of the keys known to the page, by id. */
export function drawAlerts(alerts, keyNames) {
  const rows = alerts.map((alert) => {
    const tr = document.createElement('tr');
    tr.dataset.alert = alert.id;
    tr.dataset.kind = alert.kind;
    const budget = alert.keyId === null ? 'team' : `key ${keyNames.get(alert.keyId) ?? alert.keyId.slice(0, 8)}`;
    tr.append(
      cell(`${alert.at.slice(0, 10)} ${alert.at.slice(11, 16)}`),
      cell(alert.team),
      cell(budget),
      cell(what(alert)),
      numberCell('spent', alert.spent, alert.limit === null ? undefined : `of ${format(alert.limit)}`),
      numberCell('credits', alert.credits),
      cell(deliveries(alert)),
    );
    return tr;
  });
  $('#alerts tbody').replaceChildren(...rows);
  $('#no-alerts').hidden = rows.length > 0;
}
