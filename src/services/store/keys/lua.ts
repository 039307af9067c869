// Saving key records: each save checks the version it was based on, writes the record with its
// indexes and audit entry, and announces the change, in one step.
import { luaScript } from '../lua-script.js';

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

const saved = (result: number) => result === 1;

/**
 * Creates or updates a team key, refusing a lost update (the stored version must be
 * `expectedVersion`). A rotation's old hash resolves until `retireAt` ('' = no rotation); the
 * key's team is created with it when `implicitTeamJson` is given ('' = none). Returns 1 when
 * saved (and announced), 0 on a version conflict.
 */
export const SAVE_KEY = luaScript({
  name: 'gwSaveKey',
  keys: [
    'keyRecord',
    'currentHash',
    'retiredHash',
    'keysIndex',
    'teamKeysIndex',
    'teamRecord',
    'teamsSet',
    'originsSet',
    'auditStream',
    'changeCounter',
  ],
  argv: [
    'expectedVersion',
    'recordJson',
    'keyId',
    'createdAtMs',
    'teamId',
    'retireAt',
    'originsCsv',
    'auditJson',
    'implicitTeamJson',
    'implicitTeamAuditJson',
    'changeChannel',
    'changeEventJson',
  ],
  body: `${VERSION_OF}${ANNOUNCE}
if versionOf(keyRecord) ~= tonumber(expectedVersion) then return 0 end
redis.call('SET', keyRecord, recordJson)
redis.call('SET', currentHash, keyId)
if retireAt ~= '' then redis.call('PEXPIREAT', retiredHash, retireAt) end
redis.call('ZADD', keysIndex, createdAtMs, keyId)
redis.call('ZADD', teamKeysIndex, createdAtMs, keyId)
redis.call('SADD', teamsSet, teamId)
if implicitTeamJson ~= '' and redis.call('EXISTS', teamRecord) == 0 then
  redis.call('SET', teamRecord, implicitTeamJson)
  redis.call('XADD', auditStream, '*', 'entry', implicitTeamAuditJson)
end
for origin in string.gmatch(originsCsv, '[^,]+') do redis.call('SADD', originsSet, origin) end
redis.call('XADD', auditStream, '*', 'entry', auditJson)
announce(changeCounter, changeChannel, changeEventJson)
return 1
`,
  decode: saved,
});

/** Creates or updates a team, refusing a lost update; 1 when saved (and announced). */
export const SAVE_TEAM = luaScript({
  name: 'gwSaveTeam',
  keys: ['teamRecord', 'teamsSet', 'auditStream', 'changeCounter'],
  argv: ['expectedVersion', 'recordJson', 'teamId', 'auditJson', 'changeChannel', 'changeEventJson'],
  body: `${VERSION_OF}${ANNOUNCE}
if versionOf(teamRecord) ~= tonumber(expectedVersion) then return 0 end
redis.call('SET', teamRecord, recordJson)
redis.call('SADD', teamsSet, teamId)
redis.call('XADD', auditStream, '*', 'entry', auditJson)
announce(changeCounter, changeChannel, changeEventJson)
return 1
`,
  decode: saved,
});

/**
 * Saves a minted ephemeral key and its hash lookup, both gone at its expiry, with its audit
 * entry. Its origins join the set CORS preflights read; only a new one is announced (so that
 * every instance's cached copy of the set is dropped). Returns 1.
 */
export const SAVE_EPHEMERAL_KEY = luaScript({
  name: 'gwSaveEphemeralKey',
  keys: ['ephemeralRecord', 'ephemeralHash', 'originsSet', 'auditStream', 'changeCounter'],
  argv: ['recordJson', 'keyId', 'expiresAtMs', 'originsCsv', 'auditJson', 'changeChannel', 'changeEventJson'],
  body: `${ANNOUNCE}
redis.call('SET', ephemeralRecord, recordJson, 'PXAT', expiresAtMs)
redis.call('SET', ephemeralHash, keyId, 'PXAT', expiresAtMs)
local added = 0
for origin in string.gmatch(originsCsv, '[^,]+') do added = added + redis.call('SADD', originsSet, origin) end
redis.call('XADD', auditStream, '*', 'entry', auditJson)
if added > 0 then announce(changeCounter, changeChannel, changeEventJson) end
return 1
`,
  decode: (): void => undefined,
});

/** Deletes an ephemeral key and its hash index, audited and announced; 0 when it was gone. */
export const REVOKE_EPHEMERAL_KEY = luaScript({
  name: 'gwRevokeEphemeralKey',
  keys: ['ephemeralRecord', 'ephemeralHash', 'auditStream', 'changeCounter'],
  argv: ['auditJson', 'changeChannel', 'changeEventJson'],
  body: `${ANNOUNCE}
if redis.call('DEL', ephemeralRecord) == 0 then return 0 end
redis.call('DEL', ephemeralHash)
redis.call('XADD', auditStream, '*', 'entry', auditJson)
announce(changeCounter, changeChannel, changeEventJson)
return 1
`,
  decode: saved,
});

/** The team's UUID: `candidate` when it had none yet, else the one it was given first. */
export const TEAM_UUID = luaScript({
  name: 'gwTeamUuid',
  keys: ['teamUuids'],
  argv: ['team', 'candidate'],
  body: `
redis.call('HSETNX', teamUuids, team, candidate)
return redis.call('HGET', teamUuids, team)
`,
  decode: (uuid: string) => uuid,
});

/** A heartbeat on the change channel, carrying the number of the last change announced. */
export const BEAT = luaScript({
  name: 'gwBeat',
  keys: ['changeCounter'],
  argv: ['changeChannel'],
  body: `
redis.call('PUBLISH', changeChannel, '{"kind":"beat","seq":' .. (redis.call('GET', changeCounter) or 0) .. '}')
`,
  decode: (): void => undefined,
});

export const KEY_SCRIPTS = [SAVE_KEY, SAVE_TEAM, SAVE_EPHEMERAL_KEY, REVOKE_EPHEMERAL_KEY, TEAM_UUID, BEAT];
