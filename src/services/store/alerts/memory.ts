// Budget alerts in memory: the same rules as ./lua.ts, run within the memory store's money
// moves (which never await, so a crossing and its marker are as atomic as a script).
import { markersExpireAt, type Alert, type AlertTarget } from '../../../domain/alerts.js';
import type { BudgetCheck } from '../../../domain/budgets.js';
import type { WebhookDelivery } from '../../../domain/deliveries.js';
import type { MemoryState } from '../memory-state.js';
import type { AlertRecords } from './contract.js';
import { ALERT_DELIVERY_PREFIX, ALERT_HISTORY_MAX } from './lua.js';

/** The delivery queue as the memory store keeps it (shared by deliveries and alerts). */
export type MemoryQueue = Map<string, { delivery: WebhookDelivery; dueAt: number }>;

/** One team's alert targets, history (oldest first) and markers (by window, scope and threshold). */
export class TeamAlerts {
  readonly targets = new Map<string, AlertTarget>();
  readonly history: Alert[] = [];
  private readonly marks = new Map<string, number>();
  private sequence = 0;

  constructor(
    private readonly team: string,
    private readonly queue: MemoryQueue,
  ) {}

  /** Sets a marker unless it is set: true when this call set it. Markers past their window go. */
  mark(window: string, field: string, now: number): boolean {
    for (const [marker, until] of this.marks) if (until <= now) this.marks.delete(marker);
    const marker = `${window}|${field}`;
    if (this.marks.has(marker)) return false;
    const until = markersExpireAt(window);
    this.marks.set(marker, until === '' ? Number.POSITIVE_INFINITY : until);
    return true;
  }

  /** Records an alert with a pending delivery per target, queued at once. */
  raise(fields: Omit<Alert, 'id' | 'team' | 'at' | 'deliveries'>, now: number): Alert {
    const alert: Alert = {
      ...fields,
      id: `${now}-${++this.sequence}`,
      team: this.team,
      at: new Date(now).toISOString(),
      deliveries: [...this.targets.keys()].map((targetId) => ({ targetId, state: 'pending', attempts: 0 })),
    };
    this.history.push(alert);
    if (this.history.length > ALERT_HISTORY_MAX) this.history.shift();
    for (const target of this.targets.values()) {
      const id = `${ALERT_DELIVERY_PREFIX}${alert.id}/${target.id}`;
      const base = { id, team: this.team, jobId: '', keyId: alert.keyId ?? '', event: 'budget.alert', body: '' };
      const delivery = { ...base, url: target.url, attempts: 0, alert: { record: copy(alert), targetId: target.id } };
      this.queue.set(id, { delivery, dueAt: now });
    }
    return copy(alert);
  }
}

const copy = (alert: Alert): Alert => structuredClone(alert);

interface Crossing {
  keyId: string;
  keyBudget: BudgetCheck | null;
  teamBudget: BudgetCheck | null;
  now: number;
}

/** THRESHOLDS: the thresholds spend has reached once `credits` (0 when refused) are added to `seen`. */
export function checkThresholds(
  alerts: TeamAlerts,
  r: Crossing,
  seen: { key: number | null; team: number | null },
  credits: number,
): Alert[] {
  const scopes = [
    { scope: `key:${r.keyId}`, keyId: r.keyId, budget: r.keyBudget, before: seen.key },
    { scope: 'team', keyId: null, budget: r.teamBudget, before: seen.team },
  ];
  return scopes.flatMap(({ scope, keyId, budget, before }) => {
    if (!budget || before === null || budget.limit <= 0) return [];
    const spent = before + credits;
    return (budget.alerts ?? [])
      .filter((t) => spent * 100 >= t * budget.limit)
      .filter((t) => alerts.mark(budget.window, `${scope}:${t}`, r.now))
      .map((threshold) =>
        alerts.raise(
          { kind: 'threshold', keyId, threshold, window: budget.window, spent, limit: budget.limit, credits },
          r.now,
        ),
      );
  });
}

/** An overrun's alert, in the month of its windows, with the team's spend there. */
export function overrunAlert(
  alerts: TeamAlerts,
  r: { keyId: string; windows: string[]; now: number },
  overrun: number,
  teamSpent: (window: string) => number,
): Alert[] {
  if (overrun <= 0) return [];
  const window = r.windows[2] ?? r.windows[0]!;
  const fields = { kind: 'overrun' as const, keyId: r.keyId, threshold: null, limit: null, credits: overrun };
  return [alerts.raise({ ...fields, window, spent: teamSpent(window) }, r.now)];
}

export function createMemoryAlerts(state: MemoryState): AlertRecords {
  return {
    onAlerts(listener) {
      state.alertListeners.push(listener);
    },
    async saveAlertTarget(team, target) {
      state.alerts(team).targets.set(target.id, { ...target });
    },
    async deleteAlertTarget(team, id) {
      return state.alerts(team).targets.delete(id);
    },
    async alertTargets(team) {
      return [...state.alerts(team).targets.values()].map((target) => ({ ...target }));
    },
    async alertTarget(team, id) {
      const target = state.alerts(team).targets.get(id);
      return target ? { ...target } : null;
    },
    async alertHistory(team) {
      return state.alerts(team).history.map(copy).reverse();
    },
  };
}
