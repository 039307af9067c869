// A submission's reservation: counted in its key's request quota and its price taken from the
// key's and team's budgets, in one store call, before anything is sent upstream, and its lease, renewed while this instance works on the submission so that
// background settlement only ever releases the reservations of an instance that died.
import { randomUUID } from 'node:crypto';
import { errors, withExtras } from '../errors.js';
import { thresholdsOf } from '../domain/alerts.js';
import { windowOf, windowsAt, type Budget } from '../domain/budgets.js';
import type { Caller } from './caller.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { BudgetCheck } from '../domain/budgets.js';
import { admitCounted, type RequestLimit } from './request-limits.js';
import type { Store } from './store/store.js';

export interface JobReservationDeps {
  store: Store;
  clock: Clock;
  reservationLeaseMs: number;
  logger: Logger;
  metrics: Pick<Metrics, 'credits'>;
  /** The alert thresholds of a key or team that sets none (pricing file, else ALERT_THRESHOLDS); none by default. */
  alertThresholds?: readonly number[];
}

function budgetCheck(budget: Budget | null, now: number, alerts: readonly number[]): BudgetCheck | null {
  return budget ? { window: windowOf(budget.period, now), limit: budget.credits, alerts } : null;
}

export function createJobReservation(deps: JobReservationDeps) {
  const { store, clock, reservationLeaseMs, logger, metrics, alertThresholds = [] } = deps;

  /**
   * Reserves `credits` for `caller`'s job of `model`, counting the request in `limit` first: a
   * 429 over the quota, a 402 when the budgets cannot cover it, nothing reserved either way.
   */
  async function reserve(caller: Caller, model: string, credits: number, requestId: string, limit?: RequestLimit) {
    const { key } = caller;
    const now = clock();
    const windows = windowsAt(now);
    const reservationId = randomUUID();
    const budgets = {
      keyBudget: budgetCheck(key.budget, now, thresholdsOf(key.alertThresholds, alertThresholds)),
      teamBudget: budgetCheck(caller.teamBudget, now, thresholdsOf(caller.teamAlertThresholds, alertThresholds)),
    };
    const reservation = await store.reserve({
      reservationId,
      team: key.team,
      keyId: key.id,
      model,
      credits,
      windows,
      ...budgets,
      now,
      requestId,
      leaseUntil: now + reservationLeaseMs,
      ...(limit && { quota: limit }),
      ...(caller.ephemeral && { ephemeral: caller.ephemeral }),
    });
    // Over the quota (only ever with a limit to count in), admitCounted refuses the request.
    if (limit && reservation.counted) admitCounted(limit, reservation.counted);
    if (!reservation.ok) {
      // An ephemeral key past its maxJobs may spend nothing more: a 402 like any exhausted budget.
      if ('jobsUsedUp' in reservation) {
        throw withExtras(new errors.InsufficientCredits(), { creditsRequired: credits, creditsAvailable: 0 });
      }
      // Over the quota without a limit counted in would be the store and this code disagreeing:
      // nothing is reserved, so nothing may be sent.
      if (!('available' in reservation)) throw new Error('The store refused a reservation over a quota not counted');
      const available = reservation.available;
      throw withExtras(new errors.InsufficientCredits(), { creditsRequired: credits, creditsAvailable: available });
    }
    metrics.credits('reserved', key.team, model, credits);
    return { reservationId, windows, budgets };
  }

  /** Renews a reservation's lease until stopped, so only a dead instance's leases run out. */
  function keepLeaseAlive(team: string, reservationId: string): { stop(): void } {
    const renew = () =>
      store.renewLease(team, reservationId, clock() + reservationLeaseMs).catch((error: unknown) => {
        logger.warn({ err: error, team, reservationId }, 'reservation lease renewal failed');
      });
    const timer = setInterval(renew, reservationLeaseMs / 3);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }

  return { reserve, keepLeaseAlive };
}

export type JobReservation = ReturnType<typeof createJobReservation>;
