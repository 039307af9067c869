// Budget alerts: a threshold of a key's or a team's budget reached in a window, or an overrun
// (a job that cost more than its reservation), recorded with the deliveries to the team's alert
// targets. A threshold fires once per window: the store keeps a marker per window, scope and
// threshold, and a new window re-arms every threshold by being new.
import { DAY_MS, windowEndsAt } from './budgets.js';

export const ALERT_FORMATS = ['webhook', 'slack'] as const;
export type AlertFormat = (typeof ALERT_FORMATS)[number];

export const ALERT_KINDS = ['threshold', 'overrun'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
export type AlertDeliveryState = (typeof DELIVERY_STATES)[number];

/** Whole percents of a budget, in (0, 100], distinct. */
export const MAX_THRESHOLDS = 10;

/** Where a team's alerts are sent; the secret's SHA-256 (hex) keys the webhook signature. */
export interface AlertTarget {
  id: string;
  url: string;
  format: AlertFormat;
  secretHash: string;
  createdAt: string;
}

export interface AlertDelivery {
  targetId: string;
  state: AlertDeliveryState;
  attempts: number;
}

/** An alert's deliveries to these targets, each pending until an attempt's outcome is known. */
export const pendingDeliveries = (targetIds: Iterable<string>): AlertDelivery[] =>
  [...targetIds].map((targetId) => ({ targetId, state: 'pending', attempts: 0 }));

export interface Alert {
  id: string;
  team: string;
  /** The key whose budget was crossed, or whose job overran; null for the team's budget. */
  keyId: string | null;
  kind: AlertKind;
  threshold: number | null;
  window: string;
  /** Credits counted in the window once the move was made. */
  spent: number;
  limit: number | null;
  /** Credits of the move that found the threshold reached (0: a refused request), or of the overrun. */
  credits: number;
  at: string;
  deliveries: AlertDelivery[];
}

/** Why `thresholds` cannot be used, or null: whole percents in (0, 100], distinct, at most 10. */
export function thresholdsProblem(thresholds: readonly number[]): string | null {
  if (thresholds.length > MAX_THRESHOLDS) return `at most ${MAX_THRESHOLDS} thresholds`;
  if (thresholds.some((t) => !Number.isInteger(t) || t <= 0 || t > 100))
    return 'each must be a whole percent in (0, 100]';
  if (new Set(thresholds).size !== thresholds.length) return 'thresholds must be distinct';
  return null;
}

/** The thresholds in force: a record's own, or the gateway's default when it has none (null). */
export const thresholdsOf = (own: readonly number[] | null | undefined, fallback: readonly number[]) => own ?? fallback;

/**
 * When a window's markers may go: a day after the window ends, so an instance whose clock lags
 * still finds them; '' (kept) for `total`.
 */
export function markersExpireAt(window: string): number | '' {
  const end = windowEndsAt(window);
  return end === null ? '' : end + DAY_MS;
}
