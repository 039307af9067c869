// The money moves, each one Lua script run atomically in one round trip. Every key a script
// touches lives under the team's hash tag `{t:TEAM}`, so the scripts also run on Redis Cluster.
//
// Each movement of credits does three things together, so they can never disagree:
// - spend hash fields `key:<keyId>:<window>` and `team:<window>` count reserved + settled
//   credits in every window (day, week, month, total);
// - the ledger stream gets one immutable entry (trimmed past the retention, by Redis time);
// - the day's aggregate hash adds the credits and counts the entry, per key and model, under
//   fields `<keyId>|<model>|<metric>`, so reports never read the ledger.
//
// Every money script takes the same first three KEYS and ARGV:
// KEYS: spend hash, ledger stream, aggregate hash of the accounting day
// ARGV: request id, now (ms), ledger retention (ms)

const MOVE = `
local function adjust(keyId, windows, delta)
  if delta == 0 then return end
  for w in string.gmatch(windows, '[^,]+') do
    redis.call('HINCRBY', KEYS[1], 'key:' .. keyId .. ':' .. w, delta)
    redis.call('HINCRBY', KEYS[1], 'team:' .. w, delta)
  end
end

-- Moves delta credits for a key and writes the ledger entry and the aggregates that say so.
-- charged: credits the job finally cost (settlements only).
local function move(kind, keyId, model, windows, delta, jobId, reservationId, note, charged)
  adjust(keyId, windows, delta)
  local time = redis.call('TIME')
  local oldest = tonumber(time[1]) * 1000 - tonumber(ARGV[3])
  redis.call('XADD', KEYS[2], 'MINID', '~', oldest, '*',
    'ts', ARGV[2], 'kind', kind, 'key', keyId, 'model', model, 'credits', delta,
    'job', jobId, 'reservation', reservationId, 'request', ARGV[1],
    'day', string.match(windows, '^[^,]+'), 'note', note)
  local prefix = keyId .. '|' .. model .. '|'
  redis.call('HINCRBY', KEYS[3], prefix .. 'credits', delta)
  redis.call('HINCRBY', KEYS[3], prefix .. kind, 1)
  if charged ~= nil then redis.call('HINCRBY', KEYS[3], prefix .. 'charged', charged) end
  if kind == 'overrun' then redis.call('HINCRBY', KEYS[3], prefix .. 'overrunCredits', delta) end
end

-- Credits a key may still take: the smaller of its own and its team's room (negative once
-- spend has passed a budget); nil when both are unlimited. A window of '' is no budget.
local function room(keyId, keyWindow, keyLimit, teamWindow, teamLimit)
  local available = nil
  if keyWindow ~= '' then
    available = tonumber(keyLimit) - tonumber(redis.call('HGET', KEYS[1], 'key:' .. keyId .. ':' .. keyWindow) or '0')
  end
  if teamWindow ~= '' then
    local teamAvailable = tonumber(teamLimit) - tonumber(redis.call('HGET', KEYS[1], 'team:' .. teamWindow) or '0')
    if available == nil or teamAvailable < available then available = teamAvailable end
  end
  return available
end
`;

/**
 * KEYS: (common), reservation hash, leases zset
 * ARGV: (common), credits, keyId, keyWindow ('' = unlimited), keyLimit, teamWindow ('' = unlimited),
 *       teamLimit, windows csv, reservationId, model, leaseUntil
 * Returns {1, -1} when reserved, {0, available} when the budget would be exceeded.
 */
export const RESERVE = `${MOVE}
local credits = tonumber(ARGV[4])
local keyId, keyWindow, keyLimit, teamWindow, teamLimit = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local windows, reservationId, model, leaseUntil = ARGV[10], ARGV[11], ARGV[12], ARGV[13]
local available = room(keyId, keyWindow, keyLimit, teamWindow, teamLimit)
if available ~= nil and available < credits then
  return {0, math.max(available, 0)}
end
move('reserve', keyId, model, windows, credits, '', reservationId, '', nil)
redis.call('HSET', KEYS[4], 'keyId', keyId, 'model', model, 'credits', credits, 'windows', windows, 'createdAt', ARGV[2])
redis.call('ZADD', KEYS[5], leaseUntil, reservationId)
return {1, -1}
`;

/**
 * KEYS: (common), reservation hash, leases zset
 * ARGV: (common), reservationId, why
 * Returns the credits released (0 when the reservation was already gone).
 */
export const RELEASE = `${MOVE}
local reservationId, why = ARGV[4], ARGV[5]
-- The lease goes in every case: one left behind would block the reconciler's scan.
redis.call('ZREM', KEYS[5], reservationId)
local r = redis.call('HMGET', KEYS[4], 'keyId', 'credits', 'windows', 'model')
if not r[1] then return 0 end
move('release', r[1], r[4], r[3], -tonumber(r[2]), '', reservationId, why, nil)
redis.call('DEL', KEYS[4])
return tonumber(r[2])
`;

/**
 * KEYS: (common), reservation hash, leases zset, job hash, pending zset, team jobs zset,
 *       key jobs zset
 * ARGV: (common), reservationId, jobId, keyId, model, windows csv, caller's webhook URL ('' = none),
 *       its events csv, credits (the price), keyWindow, keyLimit, teamWindow, teamLimit (as RESERVE's)
 * Returns {'attached', 0}; {'duplicate', released} when the job was already known (its
 * reservation, if still there, is returned); {'retaken', overrun} when the reservation was gone
 * (its lease ran out): the job runs upstream all the same, so its price is counted again, and
 * what the budget has no room for is an overrun.
 */
export const ATTACH = `${MOVE}
local reservationId, jobId, keyId, model, windows = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local webhookUrl, webhookEvents, credits = ARGV[9], ARGV[10], tonumber(ARGV[11])
local r = redis.call('HMGET', KEYS[4], 'keyId', 'credits', 'windows', 'model')
redis.call('DEL', KEYS[4])
redis.call('ZREM', KEYS[5], reservationId)
if redis.call('EXISTS', KEYS[6]) == 1 then
  if not r[1] then return {'duplicate', 0} end
  move('release', r[1], r[4], r[3], -tonumber(r[2]), jobId, reservationId, 'duplicate job', nil)
  return {'duplicate', tonumber(r[2])}
end
local state, reserved, overrun = 'attached', r[2], 0
if not r[1] then
  state = 'retaken'
  local available = room(keyId, ARGV[12], ARGV[13], ARGV[14], ARGV[15])
  if available ~= nil and available < credits then overrun = credits - math.max(available, 0) end
  if credits > overrun then move('reserve', keyId, model, windows, credits - overrun, jobId, reservationId, 'reservation lapsed', nil) end
  if overrun > 0 then move('overrun', keyId, model, windows, overrun, jobId, reservationId, 'reservation lapsed', nil) end
  reserved = credits
else
  windows = r[3]
end
redis.call('HSET', KEYS[6], 'keyId', keyId, 'model', model, 'reserved', reserved, 'windows', windows,
  'createdAt', ARGV[2], 'state', 'pending')
if webhookUrl ~= '' then redis.call('HSET', KEYS[6], 'webhookUrl', webhookUrl, 'webhookEvents', webhookEvents) end
redis.call('ZADD', KEYS[7], ARGV[2], jobId)
redis.call('ZADD', KEYS[8], ARGV[2], jobId)
redis.call('ZADD', KEYS[9], ARGV[2], jobId)
return {state, overrun}
`;

/**
 * KEYS: (common), job hash, pending zset
 * ARGV: (common), jobId, status, credits charged, final body ('' when not known yet)
 * A COMPLETED job is a `settle` entry (its cost minus what was reserved); a FAILED or
 * CANCELLED one a `refund` of what was reserved. A cost above what was reserved moved credits
 * no budget check covered: the excess is its own `overrun` entry.
 * Returns {1, overrun} when settled now, {0, 0} when the job was unknown or already settled.
 */
export const SETTLE = `${MOVE}
local j = redis.call('HMGET', KEYS[4], 'state', 'keyId', 'reserved', 'windows', 'model', 'body')
if j[1] == 'settled' and (not j[6] or j[6] == '') then
  -- Settled without its final body (from a webhook): keep the body now that it is known.
  redis.call('HSET', KEYS[4], 'body', ARGV[7])
end
if j[1] ~= 'pending' then return {0, 0} end
local jobId, status, credits = ARGV[4], ARGV[5], tonumber(ARGV[6])
local keyId, reserved, windows, model = j[2], tonumber(j[3]), j[4], j[5]
local kind = 'refund'
if status == 'COMPLETED' then kind = 'settle' end
local overrun = math.max(credits - reserved, 0)
move(kind, keyId, model, windows, credits - overrun - reserved, jobId, '', status, credits)
if overrun > 0 then move('overrun', keyId, model, windows, overrun, jobId, '', 'charged ' .. credits .. ', reserved ' .. reserved, nil) end
redis.call('HSET', KEYS[4], 'state', 'settled', 'status', status, 'charged', credits, 'body', ARGV[7], 'settledAt', ARGV[2])
redis.call('ZREM', KEYS[5], jobId)
return {1, overrun}
`;

/**
 * KEYS: lease key. ARGV: holder, ttl ms.
 * Takes the lease when free, renews it when `holder` has it; 1 while held by `holder`.
 */
export const ACQUIRE_LEASE = `
local current = redis.call('GET', KEYS[1])
if current == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** Reads the version of the JSON record at `key` (0 when absent; records without one count as 1). */
const VERSION_OF = `
local function versionOf(key)
  local current = redis.call('GET', key)
  if not current then return 0 end
  return cjson.decode(current).version or 1
end
`;

/**
 * Publishes a change event from the script that saved it, so a saved change is always announced
 * (PUBLISH in a script reaches every node of a Cluster too). The event carries the change's
 * number, counted in `counter`, so a listener that missed one notices the skipped number.
 */
const ANNOUNCE = `
local function announce(counter, channel, event)
  local change = cjson.decode(event)
  change.seq = redis.call('INCR', counter)
  redis.call('PUBLISH', channel, cjson.encode(change))
end
`;

/**
 * Creates or updates a team key, refusing a lost update (the stored version must be the expected one).
 * KEYS: key record, current-hash index, retired-hash index, keys index, team's keys index,
 *       team record, teams set, origins set, audit stream, change counter
 * ARGV: expected version, record json, key id, createdAt ms, team id, retire at ms ('' = none),
 *       origins csv, audit json, implicit team json ('' = none), implicit team audit json,
 *       change channel, change event json
 * Returns 1 when saved (and announced), 0 on a version conflict.
 */
export const SAVE_KEY = `${VERSION_OF}${ANNOUNCE}
if versionOf(KEYS[1]) ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[3])
if ARGV[6] ~= '' then redis.call('PEXPIREAT', KEYS[3], ARGV[6]) end
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[3])
redis.call('ZADD', KEYS[5], ARGV[4], ARGV[3])
redis.call('SADD', KEYS[7], ARGV[5])
if ARGV[9] ~= '' and redis.call('EXISTS', KEYS[6]) == 0 then
  redis.call('SET', KEYS[6], ARGV[9])
  redis.call('XADD', KEYS[9], '*', 'entry', ARGV[10])
end
for origin in string.gmatch(ARGV[7], '[^,]+') do redis.call('SADD', KEYS[8], origin) end
redis.call('XADD', KEYS[9], '*', 'entry', ARGV[8])
announce(KEYS[10], ARGV[11], ARGV[12])
return 1
`;

/**
 * Creates or updates a team, refusing a lost update.
 * KEYS: team record, teams set, audit stream, change counter.
 * ARGV: expected version, record json, team id, audit json, change channel, change event json.
 */
export const SAVE_TEAM = `${VERSION_OF}${ANNOUNCE}
if versionOf(KEYS[1]) ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('XADD', KEYS[3], '*', 'entry', ARGV[4])
announce(KEYS[4], ARGV[5], ARGV[6])
return 1
`;

/**
 * A heartbeat on the change channel, carrying the number of the last change announced.
 * KEYS: change counter. ARGV: change channel.
 */
export const BEAT = `
redis.call('PUBLISH', ARGV[1], '{"kind":"beat","seq":' .. (redis.call('GET', KEYS[1]) or 0) .. '}')
`;

/**
 * KEYS: idempotency record. ARGV: body fingerprint, pending ttl ms.
 * Returns {'claimed'}, {'pending'}, {'mismatch'} or {'done', status, body}.
 */
export const CLAIM_IDEMPOTENCY = `
local record = redis.call('HMGET', KEYS[1], 'fingerprint', 'state', 'status', 'body')
if not record[1] then
  redis.call('HSET', KEYS[1], 'fingerprint', ARGV[1], 'state', 'pending')
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {'claimed'}
end
if record[1] ~= ARGV[1] then return {'mismatch'} end
if record[2] == 'done' then return {'done', record[3], record[4]} end
return {'pending'}
`;

/**
 * KEYS: job hash, fetch lock. ARGV: now, snapshot max age ms, lock ms (0: only look, take no lock).
 * Returns {} for an unknown job, else {action, body, snapshotAt, then the job fields of JOB_FIELDS};
 * a `fetch` (or, when only looking, `due`) carries the last snapshot (or '') for the caller to
 * serve while it refreshes.
 */
export const POLL_JOB = `
local j = redis.call('HMGET', KEYS[1], 'keyId', 'model', 'reserved', 'createdAt', 'state', 'charged', 'body', 'windows', 'snapshot', 'snapshotAt')
if not j[1] then return {} end
local fields = {j[1], j[2], j[3], j[4], j[5], j[6] or '', j[7] or '', j[8]}
if j[5] == 'settled' and j[7] and j[7] ~= '' then return {'final', j[7], '', unpack(fields)} end
local snapshot, snapshotAt = j[9] or '', j[10] or ''
if j[9] and tonumber(ARGV[1]) - tonumber(j[10]) <= tonumber(ARGV[2]) then return {'snapshot', snapshot, snapshotAt, unpack(fields)} end
if ARGV[3] == '0' then return {'due', snapshot, snapshotAt, unpack(fields)} end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[3]) then return {'fetch', snapshot, snapshotAt, unpack(fields)} end
if j[9] then return {'snapshot', snapshot, snapshotAt, unpack(fields)} end
return {'wait', '', '', unpack(fields)}
`;

/**
 * KEYS: deliveries zset. ARGV: now, lease ms, limit.
 * Returns the ids of due deliveries, each pushed back by the lease so no other instance sends it.
 */
export const CLAIM_DELIVERIES = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), id) end
return ids
`;
