// What a team key may still spend, as /v2/me reports it: the tighter of its own and its team's
// budget or, with neither, what the company account has left at Apiframe.
import type { AccountCredits } from './account-credits.js';
import { budgetStatus } from './budget-status.js';
import type { Clock } from './clock.js';
import type { Caller } from './caller.js';
import type { Store } from './store/store.js';

export function createSpendableCredits(deps: { store: Store; account: AccountCredits; clock: Clock }) {
  return {
    async of(caller: Caller, requestId: string): Promise<number> {
      const { remaining } = await budgetStatus(deps.store, caller.key, caller.teamBudget, deps.clock());
      return remaining ?? (await deps.account.remaining(requestId));
    },
  };
}

export type SpendableCredits = ReturnType<typeof createSpendableCredits>;
