// The money moves, each one Lua script run atomically in one round trip. Every key a script
// touches lives under the team's hash tag `{t:TEAM}`, so the scripts also run on Redis Cluster.
//
// Each movement of credits does three things together, so they can never disagree:
// - spend hash fields `key:<keyId>:<window>` and `team:<window>` count reserved + settled
//   credits in every window (day, week, month, total);
// - the ledger stream gets one immutable entry (trimmed past the retention, by Redis time);
// - the day's aggregate hash adds the credits and counts the entry, per key and model, under
//   fields `<keyId>|<model>|<metric>`, so reports never read the ledger.
// An ephemeral key's moves are its parent's (keyId), naming it too (`eph`): its spend field
// `eph:<id>` moves with them, and `eph:<id>:jobs` counts the jobs it has reserved for.
// A move that raises spend may raise budget alerts in the same step (../alerts/lua.ts).
import { ALERT, ALERT_KEYS, MARK_ARGV, MARK_KEYS, THRESHOLDS, raising, type Raising } from '../alerts/lua.js';
import { luaScript } from '../lua-script.js';
import { COUNT } from '../request-limits/lua.js';
import type { ReserveResult, SettleResult } from './contract.js';

/** The inputs every money script starts with: where credits are counted, and who moves them when. */
export const MONEY_KEYS = ['spendHash', 'ledgerStream', 'aggregateHash'] as const;
export const MONEY_ARGV = ['requestId', 'now', 'retentionMs', 'ledgerWrites'] as const;
/** A budget as RESERVE and ATTACH check it: a window of '' is no budget (unlimited). */
export const BUDGET_ARGV = ['keyWindow', 'keyLimit', 'teamWindow', 'teamLimit'] as const;

export const MOVE = `
-- The key's and the team's spend in their budget windows as room() last read them.
local seen = {}
local function ephemeral(eph) return eph ~= nil and eph ~= '' and eph ~= false end

local function adjust(keyId, windows, delta, eph)
  if delta == 0 then return end
  for w in string.gmatch(windows, '[^,]+') do
    redis.call('HINCRBY', spendHash, 'key:' .. keyId .. ':' .. w, delta)
    redis.call('HINCRBY', spendHash, 'team:' .. w, delta)
  end
  if ephemeral(eph) then redis.call('HINCRBY', spendHash, 'eph:' .. eph, delta) end
end

-- Moves delta credits for a key (and the ephemeral key eph spending for it, if any) and writes
-- the ledger entry and the aggregates that say so. charged: credits the job finally cost
-- (settlements only).
local function move(kind, keyId, model, windows, delta, jobId, reservationId, note, charged, eph)
  adjust(keyId, windows, delta, eph)
  if ledgerWrites == '0' then return end -- BENCH_WITHOUT=ledger, never in production
  local time = redis.call('TIME')
  local oldest = tonumber(time[1]) * 1000 - tonumber(retentionMs)
  local fields = {'ts', now, 'kind', kind, 'key', keyId, 'model', model, 'credits', delta,
    'job', jobId, 'reservation', reservationId, 'request', requestId,
    'day', string.match(windows, '^[^,]+'), 'note', note}
  if ephemeral(eph) then fields[#fields + 1] = 'eph'; fields[#fields + 1] = eph end
  redis.call('XADD', ledgerStream, 'MINID', '~', oldest, '*', unpack(fields))
  local prefix = keyId .. '|' .. model .. '|'
  redis.call('HINCRBY', aggregateHash, prefix .. 'credits', delta)
  redis.call('HINCRBY', aggregateHash, prefix .. kind, 1)
  if charged ~= nil then redis.call('HINCRBY', aggregateHash, prefix .. 'charged', charged) end
  if kind == 'overrun' then redis.call('HINCRBY', aggregateHash, prefix .. 'overrunCredits', delta) end
end

-- The jobs an ephemeral key has reserved for, moved by delta.
local function countJobs(eph, delta)
  if ephemeral(eph) then redis.call('HINCRBY', spendHash, 'eph:' .. eph .. ':jobs', delta) end
end

-- Credits a key may still take: the smallest of its own, its team's and (for an ephemeral key
-- eph) its cap's room (negative once spend has passed a budget); nil when all are unlimited.
-- domain/budgets.ts availableCredits is the same rule.
local function room(keyId, keyWindow, keyLimit, teamWindow, teamLimit, eph, ephLimit)
  local available = nil
  if keyWindow ~= '' then
    seen.key = tonumber(redis.call('HGET', spendHash, 'key:' .. keyId .. ':' .. keyWindow) or '0')
    available = tonumber(keyLimit) - seen.key
  end
  if teamWindow ~= '' then
    seen.team = tonumber(redis.call('HGET', spendHash, 'team:' .. teamWindow) or '0')
    local teamAvailable = tonumber(teamLimit) - seen.team
    if available == nil or teamAvailable < available then available = teamAvailable end
  end
  if ephemeral(eph) then
    local capAvailable = tonumber(ephLimit) - tonumber(redis.call('HGET', spendHash, 'eph:' .. eph) or '0')
    if available == nil or capAvailable < available then available = capAvailable end
  end
  return available
end
`;

/**
 * MOVE, and a charge against what was reserved: one `kind` entry of the difference (the charge
 * recorded), and what the reservation did not cover as an `overrun` entry. Returns the overrun.
 */
export const CHARGE = `${MOVE}
local function charge(kind, keyId, model, windows, credits, reserved, jobId, reservationId, note, overrunNote, eph)
  local overrun = math.max(credits - reserved, 0)
  move(kind, keyId, model, windows, credits - overrun - reserved, jobId, reservationId, note, credits, eph)
  if overrun > 0 then move('overrun', keyId, model, windows, overrun, jobId, reservationId, overrunNote, nil, eph) end
  return overrun
end
`;

/**
 * After MOVE: takes a reservation over for the record it was made for (a job, a LoRA), the
 * reservation and its lease going. When the record exists already, the reservation is given back
 * as a duplicate. Returns the reservation's fields (keyId nil when it had lapsed) and the credits
 * given back, nil when the record is new.
 */
const TAKE_OVER = `
local function takeOver(reservationHash, leasesZset, reservationId, recordKey, recordId, note)
  local r = redis.call('HMGET', reservationHash, 'keyId', 'credits', 'windows', 'model', 'eph')
  redis.call('DEL', reservationHash)
  redis.call('ZREM', leasesZset, reservationId)
  if redis.call('EXISTS', recordKey) == 0 then return r, nil end
  if not r[1] then return r, 0 end
  move('release', r[1], r[4], r[3], -tonumber(r[2]), recordId, reservationId, note, nil, r[5])
  countJobs(r[5], -1)
  return r, tonumber(r[2])
end
`;

/** MOVE and CHARGE with TAKE_OVER, for the scripts that turn a reservation into a record. */
export const MOVE_TAKING_OVER = `${MOVE}${TAKE_OVER}`;
export const CHARGE_TAKING_OVER = `${CHARGE}${TAKE_OVER}`;

/**
 * Counts the request in its key's window (COUNT; not when `perMinute` is '0'), then reserves
 * `credits` within the budgets (and an ephemeral key's cap and jobs, '' for none): {1, -1, …}
 * when reserved, {0, available, …} when a budget would be exceeded, {2, 0, …} when the request
 * is over its quota, {3, 0, …} when the ephemeral key has used up its jobs; then the count and
 * the ms until its window closes, and the alerts raised. Thresholds are checked when reserved and
 * when refused for budget (spend as it stands), so a level an overrun passed is heard either way.
 */
export const RESERVE = luaScript({
  name: 'gwReserve',
  keys: [...MONEY_KEYS, 'reservationHash', 'leasesZset', 'requestCounter', ...ALERT_KEYS, ...MARK_KEYS],
  argv: [
    ...MONEY_ARGV,
    'credits',
    'keyId',
    ...BUDGET_ARGV,
    'windows',
    'reservationId',
    'model',
    'leaseUntil',
    'perMinute',
    'windowMs',
    'ephemeralId',
    'ephemeralLimit',
    'ephemeralMaxJobs',
    ...MARK_ARGV,
  ],
  body: `${MOVE}${ALERT}${THRESHOLDS}${COUNT}
local count, resetMs = countRequest(requestCounter, perMinute, windowMs)
if count > tonumber(perMinute) then return {2, 0, count, resetMs} end
credits = tonumber(credits)
if ephemeralMaxJobs ~= '' and
  tonumber(redis.call('HGET', spendHash, 'eph:' .. ephemeralId .. ':jobs') or '0') >= tonumber(ephemeralMaxJobs) then
  return {3, 0, count, resetMs}
end
local available = room(keyId, keyWindow, keyLimit, teamWindow, teamLimit, ephemeralId, ephemeralLimit)
if available ~= nil and available < credits then
  checkThresholds(keyId, 0)
  return {0, math.max(available, 0), count, resetMs, unpack(fired)}
end
move('reserve', keyId, model, windows, credits, '', reservationId, '', nil, ephemeralId)
countJobs(ephemeralId, 1)
redis.call('HSET', reservationHash, 'keyId', keyId, 'model', model, 'credits', credits, 'windows', windows)
if ephemeralId ~= '' then redis.call('HSET', reservationHash, 'eph', ephemeralId) end
redis.call('ZADD', leasesZset, leaseUntil, reservationId)
checkThresholds(keyId, credits)
return {1, -1, count, resetMs, unpack(fired)}
`,
  decode: ([outcome, available, count, resetMs, ...alerts]: [
    number,
    number,
    number,
    number,
    ...string[],
  ]): Raising<ReserveResult> => {
    const counted = count > 0 ? { counted: { count, resetMs } } : {};
    if (outcome === 2) return { ok: false, overQuota: true, counted: { count, resetMs } };
    if (outcome === 3) return { ok: false, jobsUsedUp: true, ...counted };
    if (outcome === 1) return { ok: true, ...counted, ...raising(alerts) };
    return { ok: false, available, ...counted, ...raising(alerts) };
  },
});

/** Returns a reservation's credits; 0 when it was already gone. */
export const RELEASE = luaScript({
  name: 'gwRelease',
  keys: [...MONEY_KEYS, 'reservationHash', 'leasesZset'],
  argv: [...MONEY_ARGV, 'reservationId', 'why'],
  body: `${MOVE}
-- The lease goes in every case: one left behind would block the reconciler's scan.
redis.call('ZREM', leasesZset, reservationId)
local r = redis.call('HMGET', reservationHash, 'keyId', 'credits', 'windows', 'model', 'eph')
if not r[1] then return 0 end
move('release', r[1], r[4], r[3], -tonumber(r[2]), '', reservationId, why, nil, r[5])
countJobs(r[5], -1)
redis.call('DEL', reservationHash)
return tonumber(r[2])
`,
  decode: (released: number) => released,
});

/**
 * Settles a pending job with the credits charged: a COMPLETED job is a `settle` entry (its cost
 * minus what was reserved); a FAILED or CANCELLED one a `refund` of what was reserved. A cost
 * above what was reserved moved credits no budget check covered: the excess is its own
 * `overrun` entry. The final body is '' when not known yet.
 * Returns {1, overrun} when settled now, {0, 0} when the job was unknown or already settled.
 */
export const SETTLE = luaScript({
  name: 'gwSettle',
  keys: [...MONEY_KEYS, 'jobHash', 'pendingZset', ...ALERT_KEYS],
  argv: [...MONEY_ARGV, 'jobId', 'status', 'credits', 'finalBody'],
  body: `${CHARGE}${ALERT}
local j = redis.call('HMGET', jobHash, 'state', 'keyId', 'reserved', 'windows', 'model', 'body', 'eph')
if j[1] == 'settled' and (not j[6] or j[6] == '') then
  -- Settled without its final body (from a webhook): keep the body now that it is known.
  redis.call('HSET', jobHash, 'body', finalBody)
end
if j[1] ~= 'pending' then return {0, 0} end
credits = tonumber(credits)
local keyId, reserved, windows, model = j[2], tonumber(j[3]), j[4], j[5]
local kind = 'refund'
if status == 'COMPLETED' then kind = 'settle' end
local overrun = charge(kind, keyId, model, windows, credits, reserved, jobId, '', status,
  'charged ' .. credits .. ', reserved ' .. reserved, j[7])
redis.call('HSET', jobHash, 'state', 'settled', 'charged', credits, 'body', finalBody)
redis.call('ZREM', pendingZset, jobId)
overrunAlert(keyId, windows, overrun)
return {1, overrun, unpack(fired)}
`,
  decode: ([settled, overrun, ...alerts]: [number, number, ...string[]]): Raising<SettleResult> => ({
    settled: settled === 1,
    overrun,
    ...raising(alerts),
  }),
});
