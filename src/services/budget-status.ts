// What a key may still spend: the tighter of its own budget and its team's, in the windows
// that contain `now`. Null means unlimited.
import { windowOf, windowsAt, type Budget } from './budget-window.js';
import type { Store, TeamKeyRecord } from './store/types.js';

export interface BudgetStatus {
  /** The key's budget window ("total" when it has no budget). */
  window: string;
  /** Credits counted in that window. */
  spent: number;
  remaining: number | null;
}

/** What is left of `budget` once `spent` is counted; null for no budget (unlimited). */
export function remainingOf(budget: Budget | null, spent: number): number | null {
  return budget ? Math.max(0, budget.credits - spent) : null;
}

export async function budgetStatus(
  store: Store,
  key: TeamKeyRecord,
  teamBudget: Budget | null,
  now: number,
): Promise<BudgetStatus> {
  const spend = await store.spend({ team: key.team, keyId: key.id, windows: windowsAt(now) });
  const window = windowOf(key.budget?.period ?? 'total', now);
  const spent = spend.key[window] ?? 0;
  const teamSpent = teamBudget ? (spend.team[windowOf(teamBudget.period, now)] ?? 0) : 0;
  const limits = [remainingOf(key.budget, spent), remainingOf(teamBudget, teamSpent)].filter((left) => left !== null);
  return { window, spent, remaining: limits.length > 0 ? Math.min(...limits) : null };
}
