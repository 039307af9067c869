// What a team key may still spend, as /v2/me reports it: the tighter of its own and its team's
// budget or, with neither, what the company account has left at Apiframe. An ephemeral key's
// cap is one more bound.
import type { AccountCredits } from './account-credits.js';
import { budgetStatus } from './budget-status.js';
import type { Clock } from './clock.js';
import type { Caller } from './caller.js';
import type { Store } from './store/store.js';

export function createSpendableCredits(deps: { store: Store; account: AccountCredits; clock: Clock }) {
  return {
    async of(caller: Caller, requestId: string): Promise<number> {
      const { ephemeral } = caller;
      const [{ remaining }, cap] = await Promise.all([
        budgetStatus(deps.store, caller.key, caller.teamBudget, deps.clock()),
        ephemeral && deps.store.spend({ team: caller.key.team, ephemeralId: ephemeral.id, windows: [] }),
      ]);
      const capRemaining = ephemeral ? Math.max(0, ephemeral.credits - (cap?.ephemeral ?? 0)) : null;
      if (remaining === null) return capRemaining ?? (await deps.account.remaining(requestId));
      return capRemaining === null ? remaining : Math.min(remaining, capRemaining);
    },
  };
}

export type SpendableCredits = ReturnType<typeof createSpendableCredits>;
