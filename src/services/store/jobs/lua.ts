// The job scripts: a poll reads a job and decides, in one step, whether it may ask Apiframe.
import { luaScript } from '../lua-script.js';

/**
 * Reads a job for a poll. `lockMs` '0': only look, take no lock.
 * Returns {} for an unknown job, else {action, body, snapshotAt, then the job fields of
 * JOB_FIELDS up to `windows`}; a `fetch` (or, when only looking, `due`) carries the last
 * snapshot (or '') for the caller to serve while it refreshes.
 */
export const POLL_JOB = luaScript({
  name: 'gwPollJob',
  keys: ['jobHash', 'fetchLock'],
  argv: ['now', 'snapshotMaxAgeMs', 'lockMs'],
  body: `
local j = redis.call('HMGET', jobHash, 'keyId', 'model', 'reserved', 'createdAt', 'state', 'charged', 'body', 'windows',
  'snapshot', 'snapshotAt')
if not j[1] then return {} end
local fields = {j[1], j[2], j[3], j[4], j[5], j[6] or '', j[7] or '', j[8]}
if j[5] == 'settled' and j[7] and j[7] ~= '' then return {'final', j[7], '', unpack(fields)} end
local snapshot, snapshotAt = j[9] or '', j[10] or ''
if j[9] and tonumber(now) - tonumber(j[10]) <= tonumber(snapshotMaxAgeMs) then
  return {'snapshot', snapshot, snapshotAt, unpack(fields)}
end
if lockMs == '0' then return {'due', snapshot, snapshotAt, unpack(fields)} end
if redis.call('SET', fetchLock, '1', 'NX', 'PX', lockMs) then return {'fetch', snapshot, snapshotAt, unpack(fields)} end
if j[9] then return {'snapshot', snapshot, snapshotAt, unpack(fields)} end
return {'wait', '', '', unpack(fields)}
`,
  decode: (reply: string[]) => reply,
});

export const JOB_SCRIPTS = [POLL_JOB];
