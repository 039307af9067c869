// Budget alerts on Redis: alert targets in a team hash (read by the scripts that raise alerts),
// the history in a team stream of the last ALERT_HISTORY_MAX alerts and, beside it, a team hash
// of each delivery's state once an attempt has ended (none yet: pending); queued alert deliveries
// in the team's outbox hash, their ids on the team's delivery queue.
import {
  markersExpireAt,
  pendingDeliveries,
  type Alert,
  type AlertDeliveryState,
  type AlertTarget,
} from '../../../domain/alerts.js';
import type { BudgetCheck } from '../../../domain/budgets.js';
import { alertDelivery, type DeliveryOutcome, type WebhookDelivery } from '../../../domain/deliveries.js';
import { streamFields, teamKeys, type RedisContext } from '../redis-context.js';
import type { AlertRecords } from './contract.js';
import { ALERT_DELIVERY_PREFIX, RECORD_ALERT_DELIVERY, type Raising } from './lua.js';

/** An alert as the scripts encode it: `at` in ms, the targets it was sent to (cjson writes none as {}). */
interface RaisedAlert extends Omit<Alert, 'team' | 'at' | 'deliveries'> {
  at: number;
  targets: string[] | Record<string, never>;
}

/** An alert delivery as the outbox keeps it. */
interface OutboxEntry {
  alert: RaisedAlert;
  targetId: string;
  url: string;
  attempts: number;
}

function alertOf(team: string, raised: RaisedAlert): Alert {
  const { at, targets, ...fields } = raised;
  const ids = Array.isArray(targets) ? targets : [];
  return {
    ...fields,
    team,
    at: new Date(at).toISOString(),
    deliveries: pendingDeliveries(ids),
  };
}

function raisedOf({ team: _team, deliveries, at, ...fields }: Alert): RaisedAlert {
  return { ...fields, at: Date.parse(at), targets: deliveries.map((delivery) => delivery.targetId) };
}

/** The keys every script that may raise an alert declares. */
export function alertInputs(team: string) {
  const keys = teamKeys(team);
  return {
    alertStream: keys.alerts,
    alertTargets: keys.alertTargets,
    alertOutbox: keys.alertOutbox,
    deliveriesZset: keys.deliveries,
    alertDeliveries: keys.alertDeliveries,
  };
}

/** THRESHOLDS' inputs: the markers of the key's and the team's budget windows, the thresholds of each. */
export function markInputs(team: string, r: { keyBudget: BudgetCheck | null; teamBudget: BudgetCheck | null }) {
  const keys = teamKeys(team);
  const { keyBudget, teamBudget } = r;
  return {
    keyMarks: keys.alertMarks(keyBudget?.window ?? 'none'),
    teamMarks: keys.alertMarks(teamBudget?.window ?? 'none'),
    keyThresholds: keyBudget?.alerts?.join(',') ?? '',
    teamThresholds: teamBudget?.alerts?.join(',') ?? '',
    keyMarksUntil: keyBudget ? markersExpireAt(keyBudget.window) : '',
    teamMarksUntil: teamBudget ? markersExpireAt(teamBudget.window) : '',
  };
}

/** A script's reply without the alerts it raised, which the store's alert listeners hear of. */
export function announceAlerts<Result extends object>(
  { alertListeners }: RedisContext,
  movement: { team: string; requestId: string },
  { raised, ...result }: Raising<Result>,
): Result {
  if (raised) {
    const alerts = raised.map((json) => alertOf(movement.team, JSON.parse(json) as RaisedAlert));
    for (const listener of alertListeners) listener(alerts, movement.requestId);
  }
  return result as Result;
}

/** Whether a member of the delivery queue is an alert delivery. */
export const isAlertDelivery = (id: string) => id.startsWith(ALERT_DELIVERY_PREFIX);

/**
 * The queued alert deliveries of these ids. An id whose outbox entry is gone (its delivery
 * finished) leaves the queue: nothing puts that entry back (see RECORD_ALERT_DELIVERY).
 */
export async function claimedAlertDeliveries(
  { redis }: RedisContext,
  team: string,
  ids: string[],
): Promise<WebhookDelivery[]> {
  if (ids.length === 0) return [];
  const keys = teamKeys(team);
  const rows = await redis.hmget(keys.alertOutbox, ...ids.map((id) => id.slice(ALERT_DELIVERY_PREFIX.length)));
  const gone = ids.filter((_, i) => !rows[i]);
  if (gone.length > 0) await redis.zrem(keys.deliveries, ...gone);
  return rows.flatMap((json, i): WebhookDelivery[] => {
    if (!json) return [];
    const entry = JSON.parse(json) as OutboxEntry;
    return [alertDelivery(ids[i]!, alertOf(team, entry.alert), entry)];
  });
}

/** Records an alert delivery's outcome: in the outbox (retried) or gone, and its state on the alert. */
export async function recordAlertDelivery(
  { redis }: RedisContext,
  delivery: WebhookDelivery & Required<Pick<WebhookDelivery, 'alert'>>,
  outcome: DeliveryOutcome,
): Promise<void> {
  const keys = teamKeys(delivery.team);
  const { record, targetId } = delivery.alert;
  const entry: OutboxEntry = { alert: raisedOf(record), targetId, url: delivery.url, attempts: delivery.attempts };
  const state: AlertDeliveryState = outcome.state === 'retry' ? 'pending' : outcome.state;
  await RECORD_ALERT_DELIVERY.run(redis, {
    alertOutbox: keys.alertOutbox,
    deliveriesZset: keys.deliveries,
    alertDeliveries: keys.alertDeliveries,
    alertStream: keys.alerts,
    field: delivery.id.slice(ALERT_DELIVERY_PREFIX.length),
    alertId: record.id,
    state,
    attempts: delivery.attempts,
    entry: JSON.stringify(entry),
    dueAt: outcome.state === 'retry' ? outcome.at : '',
  });
}

/** An alert as its history entry keeps it, each delivery pending until its state is known. */
function alertEntry(team: string, id: string, list: string[]): Alert {
  const f = streamFields(list);
  const number = (value: string | undefined) => (value ? Number(value) : null);
  return {
    id,
    team,
    keyId: f.key || null,
    kind: f.kind as Alert['kind'],
    threshold: number(f.threshold),
    window: f.window ?? '',
    spent: Number(f.spent),
    limit: number(f.limit),
    credits: Number(f.credits),
    at: new Date(Number(f.at)).toISOString(),
    deliveries: pendingDeliveries(f.targets ? f.targets.split(',') : []),
  };
}

/** A team's history, newest first: its alerts, each delivery with the state recorded for it (`<state>:<attempts>`). */
async function readHistory({ redis }: RedisContext, team: string): Promise<Alert[]> {
  const keys = teamKeys(team);
  const alerts = (await redis.xrevrange(keys.alerts, '+', '-')).map(([id, list]) => alertEntry(team, id, list));
  const deliveries = alerts.flatMap((alert) => alert.deliveries.map((delivery) => ({ alert, delivery })));
  if (deliveries.length === 0) return alerts;
  const fields = deliveries.map(({ alert, delivery }) => `${alert.id}/${delivery.targetId}`);
  const states = await redis.hmget(keys.alertDeliveries, ...fields);
  deliveries.forEach(({ delivery }, i) => {
    const [state, attempts] = states[i]?.split(':') ?? [];
    if (state) Object.assign(delivery, { state: state as AlertDeliveryState, attempts: Number(attempts) });
  });
  return alerts;
}

export function createRedisAlerts(context: RedisContext): AlertRecords {
  const { redis, guarded, alertListeners } = context;
  return {
    onAlerts(listener) {
      alertListeners.push(listener);
    },

    saveAlertTarget: (team, target) =>
      guarded(async () => {
        await redis.hset(teamKeys(team).alertTargets, target.id, JSON.stringify(target));
      }),

    deleteAlertTarget: (team, id) => guarded(async () => (await redis.hdel(teamKeys(team).alertTargets, id)) === 1),

    alertTargets: (team) =>
      guarded(async () => {
        const rows = await redis.hvals(teamKeys(team).alertTargets);
        return rows
          .map((json) => JSON.parse(json) as AlertTarget)
          .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      }),

    alertTarget: (team, id) =>
      guarded(async () => {
        const json = await redis.hget(teamKeys(team).alertTargets, id);
        return json ? (JSON.parse(json) as AlertTarget) : null;
      }),

    alertHistory: (team) => guarded(() => readHistory(context, team)),
  };
}
