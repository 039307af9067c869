// Budget alerts in memory: the same rules as ./lua.ts, run within the memory store's money
// moves (which never await, so a crossing and its marker are as atomic as a script).
import type { Alert } from '../../../domain/alerts.js';
import type { BudgetCheck } from '../../../domain/budgets.js';
import type { MemoryState } from '../memory-state.js';
import type { AlertRecords } from './contract.js';
import type { TeamAlerts } from './team-alerts.js';

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
      return structuredClone(state.alerts(team).history).reverse();
    },
  };
}
