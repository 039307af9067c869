// Claiming due webhook deliveries so that one instance sends each, and recording how one went.
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

/**
 * Records a relayed delivery's attempt: a retry keeps its record (with the attempts) and queues it
 * at `dueAt`, delivered or failed it goes. A delivery whose record is gone was finished by another
 * claim of it: nothing is brought back, and its id leaves the queue. Returns whether it recorded.
 */
export const RECORD_DELIVERY = luaScript({
  name: 'gwRecordDelivery',
  keys: ['deliveryHash', 'deliveriesZset'],
  argv: ['id', 'retry', 'attempts', 'dueAt'],
  body: `
if redis.call('EXISTS', deliveryHash) == 0 then
  redis.call('ZREM', deliveriesZset, id)
  return 0
end
if retry == '1' then
  redis.call('HSET', deliveryHash, 'attempts', attempts)
  redis.call('ZADD', deliveriesZset, dueAt, id)
else
  redis.call('DEL', deliveryHash)
  redis.call('ZREM', deliveriesZset, id)
end
return 1
`,
  decode: (recorded: number) => recorded === 1,
});

export const DELIVERY_SCRIPTS = [CLAIM_DELIVERIES, RECORD_DELIVERY];
