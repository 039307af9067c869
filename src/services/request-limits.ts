// A request's place in its key's budget of requests (domain/request-limits.ts). The store counts
// it where the request reaches the store anyway (a submission's reservation, a poll's read) or,
// for requests that reach it otherwise first, in a call of its own; either way the caller is
// told where the request stands, and a request over its quota is refused with 429.
import { errors, withExtras } from '../errors.js';
import { isOverQuota, resetSeconds, type RequestCount, type RequestQuota } from '../domain/request-limits.js';
import type { Store } from './store/store.js';

/** A quota to count a request in, and how to tell the caller where the request stands. */
export interface RequestLimit extends RequestQuota {
  announce(counted: RequestCount): void;
}

/** Announces where a counted request stands; over its quota, refuses it (429 with Retry-After). */
export function admitCounted(limit: RequestLimit, counted: RequestCount): void {
  limit.announce(counted);
  if (isOverQuota(limit, counted)) {
    const retryAfter = String(resetSeconds(counted));
    throw withExtras(new errors.RateLimited(limit.policy, limit.perMinute), { retryAfter });
  }
}

/**
 * Counts a request in a store call of its own and admits it or not. A store that cannot count
 * (unavailable; any other error is a fault, thrown) lets the request through: a limit protects
 * Apiframe and the store, and credits still fail closed.
 */
export async function admitOnItsOwn(store: Pick<Store, 'countRequest'>, team: string, limit: RequestLimit) {
  let counted: RequestCount;
  try {
    counted = await store.countRequest(team, limit);
  } catch (error) {
    if (error instanceof errors.StoreUnavailable) return;
    throw error;
  }
  admitCounted(limit, counted);
}
