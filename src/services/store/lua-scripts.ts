// The money moves, each one Lua script run atomically in one round trip. Every key a script
// touches lives under the team's hash tag `{t:TEAM}`, so the scripts also run on Redis Cluster.
//
// Spend hash fields: `key:<keyId>:<window>` and `team:<window>`, counting reserved + settled
// credits in every window (day, month, total) at once.

/** Adds `delta` credits to the key's and the team's counters in each window of a csv list. */
const ADJUST = `
local function adjust(spendKey, keyId, windows, delta)
  if delta == 0 then return end
  for w in string.gmatch(windows, '[^,]+') do
    redis.call('HINCRBY', spendKey, 'key:' .. keyId .. ':' .. w, delta)
    redis.call('HINCRBY', spendKey, 'team:' .. w, delta)
  end
end
`;

/**
 * KEYS: spend hash, reservation hash, leases zset
 * ARGV: credits, keyId, keyWindow ('' = unlimited), keyLimit, teamWindow ('' = unlimited),
 *       teamLimit, windows csv, reservationId, model, now, leaseUntil
 * Returns {1, -1} when reserved, {0, available} when the budget would be exceeded.
 */
export const RESERVE = `${ADJUST}
local credits = tonumber(ARGV[1])
local keyId = ARGV[2]
local available = nil
if ARGV[3] ~= '' then
  available = tonumber(ARGV[4]) - tonumber(redis.call('HGET', KEYS[1], 'key:' .. keyId .. ':' .. ARGV[3]) or '0')
end
if ARGV[5] ~= '' then
  local teamAvailable = tonumber(ARGV[6]) - tonumber(redis.call('HGET', KEYS[1], 'team:' .. ARGV[5]) or '0')
  if available == nil or teamAvailable < available then available = teamAvailable end
end
if available ~= nil and available < credits then
  return {0, math.max(available, 0)}
end
adjust(KEYS[1], keyId, ARGV[7], credits)
redis.call('HSET', KEYS[2], 'keyId', keyId, 'model', ARGV[9], 'credits', credits, 'windows', ARGV[7], 'createdAt', ARGV[10])
redis.call('ZADD', KEYS[3], ARGV[11], ARGV[8])
return {1, -1}
`;

/**
 * KEYS: spend hash, reservation hash, leases zset
 * ARGV: reservationId
 * Returns the credits released (0 when the reservation was already gone).
 */
export const RELEASE = `${ADJUST}
local r = redis.call('HMGET', KEYS[2], 'keyId', 'credits', 'windows')
if not r[1] then return 0 end
adjust(KEYS[1], r[1], r[3], -tonumber(r[2]))
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return tonumber(r[2])
`;

/**
 * KEYS: spend hash, reservation hash, leases zset, job hash, pending zset, team jobs zset,
 *       key jobs zset
 * ARGV: reservationId, jobId, now, keyId, model, windows csv (used when the reservation is gone)
 * Returns 'attached', or 'duplicate' when the job was already known (its reservation is returned).
 */
export const ATTACH = `${ADJUST}
local r = redis.call('HMGET', KEYS[2], 'keyId', 'credits', 'windows')
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('EXISTS', KEYS[4]) == 1 then
  if r[1] then adjust(KEYS[1], r[1], r[3], -tonumber(r[2])) end
  return 'duplicate'
end
-- A reservation released by the reconciler (its lease ran out) leaves nothing reserved:
-- the job is then charged in full when it settles.
local reserved = r[2] or '0'
local windows = r[3] or ARGV[6]
redis.call('HSET', KEYS[4], 'keyId', ARGV[4], 'model', ARGV[5], 'reserved', reserved, 'windows', windows,
  'createdAt', ARGV[3], 'state', 'pending')
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[2])
redis.call('ZADD', KEYS[6], ARGV[3], ARGV[2])
redis.call('ZADD', KEYS[7], ARGV[3], ARGV[2])
return 'attached'
`;

/**
 * KEYS: spend hash, job hash, pending zset
 * ARGV: jobId, status, credits, final body, now
 * Returns 1 when settled now, 0 when the job was unknown or already settled.
 */
export const SETTLE = `${ADJUST}
local j = redis.call('HMGET', KEYS[2], 'state', 'keyId', 'reserved', 'windows')
if j[1] ~= 'pending' then return 0 end
local credits = tonumber(ARGV[3])
adjust(KEYS[1], j[2], j[4], credits - tonumber(j[3]))
redis.call('HSET', KEYS[2], 'state', 'settled', 'status', ARGV[2], 'charged', credits, 'body', ARGV[4], 'settledAt', ARGV[5])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
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
 * Creates or updates a team key, refusing a lost update (the stored version must be the expected one).
 * KEYS: key record, current-hash index, retired-hash index, keys index, team's keys index,
 *       team record, teams set, origins set, audit stream
 * ARGV: expected version, record json, key id, createdAt ms, team id, retire at ms ('' = none),
 *       origins csv, audit json, implicit team json ('' = none), implicit team audit json
 * Returns 1 when saved, 0 on a version conflict.
 */
export const SAVE_KEY = `${VERSION_OF}
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
return 1
`;

/**
 * Creates or updates a team, refusing a lost update.
 * KEYS: team record, teams set, audit stream. ARGV: expected version, record json, team id, audit json.
 */
export const SAVE_TEAM = `${VERSION_OF}
if versionOf(KEYS[1]) ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('XADD', KEYS[3], '*', 'entry', ARGV[4])
return 1
`;
