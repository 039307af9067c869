// ATTACH: a job Apiframe accepted takes over its reservation (see ./lua.ts for the money moves).
import { ALERT, ALERT_KEYS, MARK_ARGV, MARK_KEYS, THRESHOLDS, raising, type Raising } from '../alerts/lua.js';
import { luaScript } from '../lua-script.js';
import type { AttachResult } from './contract.js';
import { BUDGET_ARGV, MONEY_ARGV, MONEY_KEYS, MOVE_TAKING_OVER } from './lua.js';

/**
 * Records a job on its reservation: `attached`; `duplicate` with the credits released when the
 * job was already known (its reservation, if still there, is returned); `retaken` with the
 * overrun when the reservation was gone (its lease ran out): the job runs upstream all the
 * same, so its price (`credits`) is counted again, and what the budget has no room for is an
 * overrun. The caller's webhook URL is '' for none, its events a csv.
 */
export const ATTACH = luaScript({
  name: 'gwAttach',
  keys: [
    ...MONEY_KEYS,
    'reservationHash',
    'leasesZset',
    'jobHash',
    'pendingZset',
    'teamJobsZset',
    'keyJobsZset',
    'ephemeralJobsZset',
    ...ALERT_KEYS,
    ...MARK_KEYS,
  ],
  argv: [
    ...MONEY_ARGV,
    'reservationId',
    'jobId',
    'keyId',
    'model',
    'windows',
    'webhookUrl',
    'webhookEvents',
    'credits',
    ...BUDGET_ARGV,
    'ephemeralId',
    'ephemeralExpiresAt',
    ...MARK_ARGV,
  ],
  body: `${MOVE_TAKING_OVER}${ALERT}${THRESHOLDS}
credits = tonumber(credits)
local r, givenBack = takeOver(reservationHash, leasesZset, reservationId, jobHash, jobId, 'duplicate job')
if givenBack then return {'duplicate', givenBack} end
local state, reserved, overrun = 'attached', r[2], 0
if not r[1] then
  state = 'retaken'
  local available = room(keyId, keyWindow, keyLimit, teamWindow, teamLimit)
  if available ~= nil and available < credits then overrun = credits - math.max(available, 0) end
  if credits > overrun then
    move('reserve', keyId, model, windows, credits - overrun, jobId, reservationId, 'reservation lapsed', nil, ephemeralId)
  end
  if overrun > 0 then
    move('overrun', keyId, model, windows, overrun, jobId, reservationId, 'reservation lapsed', nil, ephemeralId)
  end
  countJobs(ephemeralId, 1)
  checkThresholds(keyId, credits)
  overrunAlert(keyId, windows, overrun)
  reserved = credits
else
  windows = r[3]
end
redis.call('HSET', jobHash, 'keyId', keyId, 'model', model, 'reserved', reserved, 'windows', windows,
  'createdAt', now, 'state', 'pending')
if ephemeralId ~= '' then
  redis.call('HSET', jobHash, 'eph', ephemeralId)
  redis.call('ZADD', ephemeralJobsZset, now, jobId)
  -- Only the ephemeral key lists its jobs this way: the list goes when the key does.
  if ephemeralExpiresAt ~= '' then redis.call('PEXPIREAT', ephemeralJobsZset, ephemeralExpiresAt) end
end
if webhookUrl ~= '' then redis.call('HSET', jobHash, 'webhookUrl', webhookUrl, 'webhookEvents', webhookEvents) end
redis.call('ZADD', pendingZset, now, jobId)
redis.call('ZADD', teamJobsZset, now, jobId)
redis.call('ZADD', keyJobsZset, now, jobId)
return {state, overrun, unpack(fired)}
`,
  decode: ([state, amount, ...alerts]: [AttachResult['state'], number, ...string[]]): Raising<AttachResult> => ({
    state,
    overrun: state === 'duplicate' ? 0 : amount,
    released: state === 'duplicate' ? amount : 0,
    ...raising(alerts),
  }),
});
