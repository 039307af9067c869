// Who a request to the job services comes from: an authenticated team key and its team's budget.
import type { Budget } from '../domain/budgets.js';
import type { TeamKeyRecord } from '../domain/keys.js';

export interface Caller {
  key: TeamKeyRecord;
  teamBudget: Budget | null;
}
