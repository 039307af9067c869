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

export async function budgetStatus(
  store: Store,
  key: TeamKeyRecord,
  teamBudget: Budget | null,
  now: number,
): Promise<BudgetStatus> {
  const spend = await store.spend({ team: key.team, keyId: key.id, windows: windowsAt(now) });
  const window = windowOf(key.budget?.period ?? 'total', now);
  const spent = spend.key[window] ?? 0;
  let remaining: number | null = null;
  if (key.budget) remaining = Math.max(0, key.budget.credits - spent);
  if (teamBudget) {
    const teamRemaining = Math.max(0, teamBudget.credits - (spend.team[windowOf(teamBudget.period, now)] ?? 0));
    remaining = remaining === null ? teamRemaining : Math.min(remaining, teamRemaining);
  }
  return { window, spent, remaining };
}
