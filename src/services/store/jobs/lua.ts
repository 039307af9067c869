// The job scripts: a poll is counted in its key's quota, reads its job and decides, in one step,
// whether it may ask Apiframe.
import { luaScript } from '../lua-script.js';
import { COUNT } from '../request-limits/lua.js';

/**
 * Counts the poll in its key's window (COUNT; not when `perMinute` is '0'), then reads the job
 * for the poll. `lockMs` '0': only look, take no lock. Replies with the count and the ms until
 * its window closes, then nothing more when the poll is over its quota or the job unknown, else
 * {action, body, snapshotAt, then the job fields of JOB_FIELDS, the webhook's empty}; a `fetch` (or,
 * when only looking, `due`) carries the last snapshot (or '') to serve while it refreshes.
 */
export const POLL_JOB = luaScript({
  name: 'gwPollJob',
  keys: ['jobHash', 'fetchLock', 'requestCounter'],
  argv: ['now', 'snapshotMaxAgeMs', 'lockMs', 'perMinute', 'windowMs'],
  body: `${COUNT}
local count, resetMs = countRequest(requestCounter, perMinute, windowMs)
if count > tonumber(perMinute) then return {count, resetMs} end
local function decided(...) return {count, resetMs, ...} end
local j = redis.call('HMGET', jobHash, 'keyId', 'model', 'reserved', 'createdAt', 'state', 'charged', 'body', 'windows',
  'snapshot', 'snapshotAt', 'eph')
if not j[1] then return {count, resetMs} end
-- The job fields of JOB_FIELDS, the caller's webhook left out.
local fields = {j[1], j[2], j[3], j[4], j[5], j[6] or '', j[7] or '', j[8], '', '', j[11] or ''}
if j[5] == 'settled' and j[7] and j[7] ~= '' then return decided('final', j[7], '', unpack(fields)) end
local snapshot, snapshotAt = j[9] or '', j[10] or ''
if j[9] and tonumber(now) - tonumber(j[10]) <= tonumber(snapshotMaxAgeMs) then
  return decided('snapshot', snapshot, snapshotAt, unpack(fields))
end
if lockMs == '0' then return decided('due', snapshot, snapshotAt, unpack(fields)) end
if redis.call('SET', fetchLock, '1', 'NX', 'PX', lockMs) then
  return decided('fetch', snapshot, snapshotAt, unpack(fields))
end
if j[9] then return decided('snapshot', snapshot, snapshotAt, unpack(fields)) end
return decided('wait', '', '', unpack(fields))
`,
  decode: ([count, resetMs, ...decision]: [number, number, ...string[]]) => ({ count, resetMs, decision }),
});

export const JOB_SCRIPTS = [POLL_JOB];
