// Key records on Redis, all under the `{keys}` hash tag: JSON records, zset indexes by creation,
// the hash → key id lookup, the teams' UUIDs, the origins set and the audit stream. Saves are
// scripts of ./lua.ts.
import { randomUUID } from 'node:crypto';
import type { ChangeEvent } from '../../../domain/changes.js';
import type { EphemeralKeyRecord } from '../../../domain/ephemeral-keys.js';
import type { AuditEntry, StoredAuditEntry, TeamKeyRecord, TeamRecord } from '../../../domain/keys.js';
import { adminKeys, CHANGES_CHANNEL, pageOfIndex, type RedisContext } from '../redis-context.js';
import type { KeyChange, KeyRecords, TeamChange } from './contract.js';
import { REVOKE_EPHEMERAL_KEY, SAVE_EPHEMERAL_KEY, SAVE_KEY, SAVE_TEAM, TEAM_UUID } from './lua.js';

/** A save script's arguments that announce `event` to every instance. */
const announced = (event: ChangeEvent) => ({ changeChannel: CHANGES_CHANNEL, changeEventJson: JSON.stringify(event) });

/** SAVE_KEY's inputs for a key change: the record, its indexes, its audit entry and its announcement. */
function saveKeyInputs({ record, expectedVersion, retire, implicitTeam, audit }: KeyChange) {
  return {
    keyRecord: adminKeys.key(record.id),
    currentHash: adminKeys.hash(record.hash),
    retiredHash: retire ? adminKeys.hash(retire.hash) : adminKeys.unused,
    keysIndex: adminKeys.index,
    teamKeysIndex: adminKeys.teamIndex(record.team),
    teamRecord: adminKeys.team(record.team),
    teamsSet: adminKeys.teams,
    originsSet: adminKeys.origins,
    auditStream: adminKeys.audit,
    changeCounter: adminKeys.changes,
    expectedVersion,
    recordJson: JSON.stringify(record),
    keyId: record.id,
    createdAtMs: Date.parse(record.createdAt),
    teamId: record.team,
    retireAt: retire?.at ?? '',
    originsCsv: record.allowedOrigins.join(','),
    auditJson: JSON.stringify(audit),
    implicitTeamJson: implicitTeam ? JSON.stringify(implicitTeam.record) : '',
    implicitTeamAuditJson: implicitTeam ? JSON.stringify(implicitTeam.audit) : '',
    ...announced({ kind: 'key', id: record.id }),
  };
}

/** SAVE_TEAM's inputs for a team change, announced like a key's. */
function saveTeamInputs({ record, expectedVersion, audit }: TeamChange) {
  return {
    teamRecord: adminKeys.team(record.id),
    teamsSet: adminKeys.teams,
    auditStream: adminKeys.audit,
    changeCounter: adminKeys.changes,
    expectedVersion,
    recordJson: JSON.stringify(record),
    teamId: record.id,
    auditJson: JSON.stringify(audit),
    ...announced({ kind: 'team', id: record.id }),
  };
}

/** An audit entry written on its own (an alert fired, an alert target changed). */
function createRedisAuditAppend(redis: RedisContext['redis'], guarded: RedisContext['guarded']) {
  return {
    appendAudit: (entry: AuditEntry) =>
      guarded(async () => {
        await redis.xadd(adminKeys.audit, '*', 'entry', JSON.stringify(entry));
      }),
  };
}

type RedisClient = RedisContext['redis'];

async function readJson<T>(redis: RedisClient, key: string): Promise<T | null> {
  const json = await redis.get(key);
  return json ? (JSON.parse(json) as T) : null;
}

async function readAll<T>(redis: RedisClient, keys: string[]): Promise<T[]> {
  const rows = keys.length > 0 ? await redis.mget(keys) : [];
  return rows.flatMap((json) => (json ? [JSON.parse(json) as T] : []));
}

/** Ephemeral keys: saved and revoked by scripts (audited, announced), read by hash or id until they expire. */
function createRedisEphemeralKeys({ redis, guarded }: RedisContext) {
  return {
    saveEphemeralKey: (record: EphemeralKeyRecord, audit: AuditEntry) =>
      guarded(() =>
        SAVE_EPHEMERAL_KEY.run(redis, {
          ephemeralRecord: adminKeys.ephemeralKey(record.id),
          ephemeralHash: adminKeys.ephemeralHash(record.hash),
          originsSet: adminKeys.origins,
          auditStream: adminKeys.audit,
          changeCounter: adminKeys.changes,
          recordJson: JSON.stringify(record),
          keyId: record.id,
          expiresAtMs: Date.parse(record.expiresAt),
          originsCsv: record.allowedOrigins.join(','),
          auditJson: JSON.stringify(audit),
          ...announced({ kind: 'key', id: record.id }),
        }),
      ),

    findEphemeralKeyByHash: (hash: string) =>
      guarded(async () => {
        const id = await redis.get(adminKeys.ephemeralHash(hash));
        return id ? readJson<EphemeralKeyRecord>(redis, adminKeys.ephemeralKey(id)) : null;
      }),

    getEphemeralKey: (id: string) => guarded(() => readJson<EphemeralKeyRecord>(redis, adminKeys.ephemeralKey(id))),

    revokeEphemeralKey: (record: EphemeralKeyRecord, audit: AuditEntry) =>
      guarded(() =>
        REVOKE_EPHEMERAL_KEY.run(redis, {
          ephemeralRecord: adminKeys.ephemeralKey(record.id),
          ephemeralHash: adminKeys.ephemeralHash(record.hash),
          auditStream: adminKeys.audit,
          changeCounter: adminKeys.changes,
          auditJson: JSON.stringify(audit),
          ...announced({ kind: 'key', id: record.id }),
        }),
      ),
  };
}

export function createRedisKeyRecords(context: RedisContext): KeyRecords {
  const { redis, guarded } = context;
  return {
    saveKey: (change) => guarded(() => SAVE_KEY.run(redis, saveKeyInputs(change))),
    ...createRedisAuditAppend(redis, guarded),
    ...createRedisEphemeralKeys(context),

    findKeyByHash: (hash) =>
      guarded(async () => {
        const id = await redis.get(adminKeys.hash(hash));
        return id ? readJson<TeamKeyRecord>(redis, adminKeys.key(id)) : null;
      }),

    getKey: (id) => guarded(() => readJson<TeamKeyRecord>(redis, adminKeys.key(id))),

    listKeys: (r) =>
      guarded(async () => {
        const index = r.team ? adminKeys.teamIndex(r.team) : adminKeys.index;
        const { ids, hasMore } = await pageOfIndex(redis, index, r.after, r.limit);
        return { keys: await readAll<TeamKeyRecord>(redis, ids.map(adminKeys.key)), hasMore };
      }),

    saveTeam: (change) => guarded(() => SAVE_TEAM.run(redis, saveTeamInputs(change))),

    getTeam: (id) => guarded(() => readJson<TeamRecord>(redis, adminKeys.team(id))),

    listTeams: () =>
      guarded(async () =>
        readAll<TeamRecord>(redis, (await redis.smembers(adminKeys.teams)).sort().map(adminKeys.team)),
      ),

    teamUuid: (team) =>
      guarded(() => TEAM_UUID.run(redis, { teamUuids: adminKeys.teamUuids, team, candidate: randomUUID() })),

    allowedOrigins: () => guarded(() => redis.smembers(adminKeys.origins)),

    listAudit: (r) =>
      guarded(async () => {
        const end = r.before ? `(${r.before}` : '+';
        const rows = await redis.xrevrange(adminKeys.audit, end, '-', 'COUNT', r.limit + 1);
        const entries = rows.slice(0, r.limit).map(
          ([id, fields]): StoredAuditEntry => ({
            id,
            ...(JSON.parse(fields[1] ?? '{}') as AuditEntry),
          }),
        );
        return { entries, hasMore: rows.length > r.limit };
      }),
  };
}
