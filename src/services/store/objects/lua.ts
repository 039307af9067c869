// A LoRA's charge and its refund, each one script under the team's hash tag, moving credits the
// way credits/lua.ts does (same ledger entries and aggregates).
import { ALERT, ALERT_KEYS, raising, type Raising } from '../alerts/lua.js';
import { CHARGE_TAKING_OVER, MONEY_ARGV, MONEY_KEYS, MOVE } from '../credits/lua.js';
import { luaScript } from '../lua-script.js';
import type { LoraChargeResult } from './contract.js';

/**
 * The reservation becomes the LoRA's charge: a `settle` entry charging `credits` (what was
 * reserved moves nothing more; a lapsed reservation's price is an `overrun`). A LoRA already
 * charged gives its new reservation back. An `unclear` charge ('' for none) is noted so, never pending.
 * An overrun raises its alert.
 */
export const CHARGE_LORA = luaScript({
  name: 'gwChargeLora',
  keys: [...MONEY_KEYS, 'reservationHash', 'leasesZset', 'loraHash', 'pendingZset', ...ALERT_KEYS],
  argv: [...MONEY_ARGV, 'reservationId', 'loraId', 'keyId', 'model', 'windows', 'credits', 'unclear'],
  body: `${CHARGE_TAKING_OVER}${ALERT}
credits = tonumber(credits)
local r, givenBack = takeOver(reservationHash, leasesZset, reservationId, loraHash, loraId, 'duplicate LoRA')
if givenBack then return {0, 0, givenBack} end
local reserved = 0
if r[1] then reserved = tonumber(r[2]); windows = r[3] end
local note, state = 'ACCEPTED', 'charged'
if unclear ~= '' then note, state = 'unclear: ' .. unclear, 'unclear' end
local overrun = charge('settle', keyId, model, windows, credits, reserved, loraId, reservationId, note,
  'reservation lapsed')
redis.call('HSET', loraHash, 'keyId', keyId, 'model', model, 'windows', windows, 'credits', credits, 'state', state)
if state == 'charged' then redis.call('ZADD', pendingZset, now, loraId) end
overrunAlert(keyId, windows, overrun)
return {1, overrun, 0, unpack(fired)}
`,
  decode: ([charged, overrun, released, ...alerts]: [
    number,
    number,
    number,
    ...string[],
  ]): Raising<LoraChargeResult> => ({
    charged: charged === 1,
    overrun,
    released,
    ...raising(alerts),
  }),
});

/** Refunds a charged LoRA: a `refund` entry of its charge, once. Returns the credits refunded. */
export const REFUND_LORA = luaScript({
  name: 'gwRefundLora',
  keys: [...MONEY_KEYS, 'loraHash', 'pendingZset'],
  argv: [...MONEY_ARGV, 'loraId', 'why'],
  body: `${MOVE}
redis.call('ZREM', pendingZset, loraId)
local l = redis.call('HMGET', loraHash, 'state', 'keyId', 'model', 'windows', 'credits')
if l[1] ~= 'charged' then return 0 end
local credits = tonumber(l[5])
move('refund', l[2], l[3], l[4], -credits, loraId, '', why, -credits)
redis.call('HSET', loraHash, 'state', 'refunded')
return credits
`,
  decode: (refunded: number) => refunded,
});

export const OBJECT_SCRIPTS = [CHARGE_LORA, REFUND_LORA];
