// Budget alerts' records: each team's alert targets and its alert history. The alerts themselves
// are raised by the money scripts (credits), atomically with the move that crossed a threshold.
import type { Alert, AlertTarget } from '../../../domain/alerts.js';

/** Told of the alerts a money move raised, once the move is done (requestId: the move's). */
export type AlertListener = (alerts: Alert[], requestId: string) => void;

export interface AlertRecords {
  /** Listens to the alerts this store's money moves raise (reserve, attachJob, settle). */
  onAlerts(listener: AlertListener): void;
  saveAlertTarget(team: string, target: AlertTarget): Promise<void>;
  /** False when the team had no such target. */
  deleteAlertTarget(team: string, id: string): Promise<boolean>;
  alertTargets(team: string): Promise<AlertTarget[]>;
  alertTarget(team: string, id: string): Promise<AlertTarget | null>;
  /**
   * The team's last ALERT_HISTORY_MAX (1,000) alerts, newest first, each delivery with its last known
   * state. Only alerts count toward the cap: delivery outcomes are kept beside them, and go with them.
   */
  alertHistory(team: string): Promise<Alert[]>;
}
