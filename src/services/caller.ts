// Who a request to the job services comes from: an authenticated team key and its team's budget.
import type { Budget } from './budget-window.js';
import type { TeamKeyRecord } from './store/types.js';

export interface Caller {
  key: TeamKeyRecord;
  teamBudget: Budget | null;
}
