// Per-key request counters (domain/request-limits.ts): counted on their own here for routes
// that make no store call of their own to count them in; a reservation and a poll count theirs
// in the same step (credits and jobs contracts).
import type { RequestCount, RequestQuota } from '../../../domain/request-limits.js';

export interface RequestLimits {
  /** Counts one request of `quota`'s key and policy in its current window. */
  countRequest(team: string, quota: RequestQuota): Promise<RequestCount>;
}
