// The request counter, as a Lua function the scripts that count a request in their own step
// include, and as a script of its own. The counter lives under the team's tag, so a script
// touching the team's money or jobs can count in the same hash slot.
import { luaScript } from '../lua-script.js';

/**
 * countRequest(counter, perMinute, windowMs): counts a request in the window `counter` holds,
 * opening one of `windowMs` with the first request; returns the count and the milliseconds
 * until the window closes, or 0, 0 without counting when `perMinute` is '0' (no limit).
 */
export const COUNT = `
local function countRequest(counter, perMinute, windowMs)
  if perMinute == '0' then return 0, 0 end
  local count = redis.call('INCR', counter)
  local ttl = -1
  if count > 1 then ttl = redis.call('PTTL', counter) end
  if ttl < 0 then
    redis.call('PEXPIRE', counter, windowMs)
    ttl = tonumber(windowMs)
  end
  return count, ttl
end
`;

/** Counts one request: {count, ms until the window closes}. */
export const COUNT_REQUEST = luaScript({
  name: 'gwCountRequest',
  keys: ['requestCounter'],
  argv: ['perMinute', 'windowMs'],
  body: `${COUNT}
local count, ttl = countRequest(requestCounter, perMinute, windowMs)
return {count, ttl}
`,
  decode: ([count, resetMs]: [number, number]) => ({ count, resetMs }),
});

export const REQUEST_LIMIT_SCRIPTS = [COUNT_REQUEST];
