// Named leases: one holder at a time, renewed by the holder.
import { luaScript } from '../lua-script.js';

/** Takes the lease when free, renews it when `holder` has it; true while held by `holder`. */
export const ACQUIRE_LEASE = luaScript({
  name: 'gwAcquireLease',
  keys: ['leaseKey'],
  argv: ['holder', 'ttlMs'],
  body: `
local current = redis.call('GET', leaseKey)
if current == false then
  redis.call('SET', leaseKey, holder, 'PX', ttlMs)
  return 1
end
if current == holder then
  redis.call('PEXPIRE', leaseKey, ttlMs)
  return 1
end
return 0
`,
  decode: (held: number) => held === 1,
});

export const COORDINATION_SCRIPTS = [ACQUIRE_LEASE];
