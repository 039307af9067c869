// Claiming due webhook deliveries so that one instance sends each.
import { luaScript } from '../lua-script.js';

/** The ids of due deliveries, each pushed back by the lease so no other instance sends it. */
export const CLAIM_DELIVERIES = luaScript({
  name: 'gwClaimDeliveries',
  keys: ['deliveriesZset'],
  argv: ['now', 'leaseMs', 'limit'],
  body: `
local ids = redis.call('ZRANGEBYSCORE', deliveriesZset, '-inf', now, 'LIMIT', 0, limit)
for _, id in ipairs(ids) do redis.call('ZADD', deliveriesZset, tonumber(now) + tonumber(leaseMs), id) end
return ids
`,
  decode: (ids: string[]) => ids,
});

export const DELIVERY_SCRIPTS = [CLAIM_DELIVERIES];
