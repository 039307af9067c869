// Per-key budgets of requests: a fixed window of a minute per key and policy, opened by its
// first request and closed a minute later (as @fastify/rate-limit's stores count). Every
// request in a window counts, refused ones too, so hammering a closed window keeps it closed
// for no longer than the window.
export type LimitPolicy = 'generate' | 'reads';

export const LIMIT_WINDOW_MS = 60_000;

/** A request to count: one key's budget of requests a minute for one policy. */
export interface RequestQuota {
  policy: LimitPolicy;
  keyId: string;
  perMinute: number;
}

/** A window after counting a request: the requests it holds, and how long until it closes. */
export interface RequestCount {
  count: number;
  resetMs: number;
}

export function isOverQuota(quota: RequestQuota, counted: RequestCount): boolean {
  return counted.count > quota.perMinute;
}

/** Requests the window still admits. */
export function remainingRequests(quota: RequestQuota, counted: RequestCount): number {
  return Math.max(0, quota.perMinute - counted.count);
}

/** Whole seconds until the window closes, at least one: the IETF `t` and Retry-After. */
export function resetSeconds(counted: RequestCount): number {
  return Math.max(1, Math.ceil(counted.resetMs / 1000));
}
