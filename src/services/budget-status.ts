// What a key may still spend: the tighter of its own budget and its team's, in the windows
// that contain `now`. Null means unlimited.
import { availableCredits, windowOf, windowsAt, type Budget } from '../domain/budgets.js';
import type { TeamKeyRecord } from '../domain/keys.js';
import type { Store } from './store/store.js';

export interface BudgetStatus {
  /** The key's budget window ("total" when it has no budget). */
  window: string;
  /** Credits counted in that window. */
  spent: number;
  remaining: number | null;
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
  const available = availableCredits(
    key.budget && { limit: key.budget.credits, spent },
    teamBudget && { limit: teamBudget.credits, spent: teamSpent },
  );
  return { window, spent, remaining: available === null ? null : Math.max(0, available) };
}
