// Alerts once raised: the money scripts raise them with their deliveries already queued; the
// store tells this notice of them, to count them, note threshold alerts in the audit trail and
// wake the delivery agent. Overruns are not audited: one per overrun job, they would grow the
// global audit stream with traffic; the alert history, the ledger and the metric keep them.
// A note lost to a crash costs the audit entry, never the alert or its deliveries.
import { auditEntry } from './audited-change.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { AlertListener } from './store/alerts/contract.js';
import type { Store } from './store/store.js';

export interface AlertNoticeDeps {
  store: Store;
  metrics: Pick<Metrics, 'alertFired'>;
  logger: Logger;
  /** Sends due deliveries now. */
  kick(): void;
}

export function createAlertNotice({ store, metrics, logger, kick }: AlertNoticeDeps): AlertListener {
  return (alerts, requestId) => {
    for (const alert of alerts) {
      metrics.alertFired(alert.kind, alert.team);
      if (alert.kind !== 'threshold') continue;
      const { deliveries: _deliveries, ...fired } = alert;
      const target = alert.keyId ? `key:${alert.keyId}` : `team:${alert.team}`;
      const entry = auditEntry({ name: 'gateway', requestId }, 'alert.fire', target, null, fired, Date.parse(alert.at));
      store.appendAudit(entry).catch((error: unknown) => {
        logger.warn(
          { err: error, alertId: alert.id, team: alert.team },
          'alert fired but not noted in the audit trail',
        );
      });
    }
    kick();
  };
}
