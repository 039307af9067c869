// Request counters on Redis: one counter per key and policy under its team's tag, expiring
// with its window.
import { LIMIT_WINDOW_MS, type RequestQuota } from '../../../domain/request-limits.js';
import { teamKeys, type RedisContext } from '../redis-context.js';
import type { RequestLimits } from './contract.js';
import { COUNT_REQUEST } from './lua.js';

/** The inputs of COUNT for `quota` (none: a counter key in the team's slot, left untouched). */
export function countInputs(team: string, quota: RequestQuota | undefined) {
  const keys = teamKeys(team);
  if (!quota) return { requestCounter: keys.requests('none', ''), perMinute: 0, windowMs: LIMIT_WINDOW_MS };
  const { policy, keyId, perMinute } = quota;
  return { requestCounter: keys.requests(policy, keyId), perMinute, windowMs: LIMIT_WINDOW_MS };
}

export function createRedisRequestLimits({ redis, guarded }: RedisContext): RequestLimits {
  return {
    countRequest: (team, quota) => guarded(() => COUNT_REQUEST.run(redis, countInputs(team, quota))),
  };
}
