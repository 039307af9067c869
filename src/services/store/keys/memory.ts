// Key records in memory: keys, teams and their UUIDs, origins and the audit trail, announced like the Redis saves.
import { randomUUID } from 'node:crypto';
import type { ChangeEvent } from '../../../domain/changes.js';
import type { EphemeralKeyRecord } from '../../../domain/ephemeral-keys.js';
import type { StoredAuditEntry, TeamKeyRecord } from '../../../domain/keys.js';
import { isAfter } from '../cursor.js';
import { newestFirst, type MemoryState } from '../memory-state.js';
import type { ChangeListener, ChangeNotifications, KeyRecords } from './contract.js';

/** Change notifications within one process: every listener hears every change, always live. */
export function createMemoryChanges(): ChangeNotifications & { announce(event: ChangeEvent): void } {
  const listeners: ChangeListener[] = [];
  /** Tells the listeners after the caller's step is done, as a Redis subscriber would hear it. */
  const announce = (event: ChangeEvent) =>
    queueMicrotask(() => {
      for (const listener of listeners) listener(event);
    });
  return {
    announce,
    async publishChange(event) {
      announce(event);
    },
    onChange(listener) {
      listeners.push(listener);
    },
    changesLive: () => true,
  };
}

/** Ephemeral keys' records, found by hash or id until their expiry; their origins join the known ones. */
function createMemoryEphemeralKeys(
  origins: Set<string>,
  appendAudit: (entry: Omit<StoredAuditEntry, 'id'>) => void,
  announce: (event: ChangeEvent) => void,
): Pick<KeyRecords, 'saveEphemeralKey' | 'findEphemeralKeyByHash' | 'getEphemeralKey' | 'revokeEphemeralKey'> {
  const ephemeralByHash = new Map<string, EphemeralKeyRecord>();
  const unexpired = (record: EphemeralKeyRecord | undefined) =>
    record && Date.parse(record.expiresAt) > Date.now() ? structuredClone(record) : null;
  return {
    async saveEphemeralKey(record, entry) {
      ephemeralByHash.set(record.hash, structuredClone(record));
      const added = record.allowedOrigins.filter((origin) => !origins.has(origin));
      for (const origin of added) origins.add(origin);
      appendAudit(entry);
      if (added.length > 0) announce({ kind: 'key', id: record.id });
    },

    async findEphemeralKeyByHash(hash) {
      const found = unexpired(ephemeralByHash.get(hash));
      if (!found) ephemeralByHash.delete(hash);
      return found;
    },

    async getEphemeralKey(id) {
      return unexpired([...ephemeralByHash.values()].find((record) => record.id === id));
    },

    async revokeEphemeralKey(record, entry) {
      if (!unexpired(ephemeralByHash.get(record.hash))) return false;
      ephemeralByHash.delete(record.hash);
      appendAudit(entry);
      announce({ kind: 'key', id: record.id });
      return true;
    },
  };
}

/** Teams, their versions and UUIDs; a saved team is audited and announced. */
function createMemoryTeams(
  teams: MemoryState['teams'],
  appendAudit: (entry: Omit<StoredAuditEntry, 'id'>) => void,
  announce: (event: ChangeEvent) => void,
): Pick<KeyRecords, 'saveTeam' | 'getTeam' | 'listTeams' | 'teamUuid'> {
  const teamUuids = new Map<string, string>();
  return {
    async saveTeam(change) {
      if ((teams.get(change.record.id)?.version ?? 0) !== change.expectedVersion) return false;
      teams.set(change.record.id, structuredClone(change.record));
      appendAudit(change.audit);
      announce({ kind: 'team', id: change.record.id });
      return true;
    },

    async getTeam(id) {
      const team = teams.get(id);
      return team ? structuredClone(team) : null;
    },

    async listTeams() {
      return [...teams.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((team) => structuredClone(team));
    },

    async teamUuid(team) {
      if (!teamUuids.has(team)) teamUuids.set(team, randomUUID());
      return teamUuids.get(team)!;
    },
  };
}

export function createMemoryKeyRecords({ teams }: MemoryState, announce: (event: ChangeEvent) => void): KeyRecords {
  const keys = new Map<string, TeamKeyRecord>();
  /** Key id by secret hash; a retired hash resolves until `until` (ms). */
  const idsByHash = new Map<string, { id: string; until: number }>();
  const origins = new Set<string>();
  const audit: StoredAuditEntry[] = [];

  function appendAudit(entry: StoredAuditEntry | Omit<StoredAuditEntry, 'id'>): void {
    audit.push({ ...structuredClone(entry), id: String(audit.length + 1) });
  }

  return {
    ...createMemoryEphemeralKeys(origins, appendAudit, announce),
    ...createMemoryTeams(teams, appendAudit, announce),
    appendAudit: async (entry) => appendAudit(entry),

    async saveKey(change) {
      const { record } = change;
      if ((keys.get(record.id)?.version ?? 0) !== change.expectedVersion) return false;
      keys.set(record.id, structuredClone(record));
      idsByHash.set(record.hash, { id: record.id, until: Infinity });
      if (change.retire) idsByHash.set(change.retire.hash, { id: record.id, until: change.retire.at });
      if (change.implicitTeam && !teams.has(record.team)) {
        teams.set(record.team, structuredClone(change.implicitTeam.record));
        appendAudit(change.implicitTeam.audit);
      }
      for (const origin of record.allowedOrigins) origins.add(origin);
      appendAudit(change.audit);
      announce({ kind: 'key', id: record.id });
      return true;
    },

    async findKeyByHash(hash) {
      const entry = idsByHash.get(hash);
      const record = entry && entry.until > Date.now() ? keys.get(entry.id) : undefined;
      return record ? structuredClone(record) : null;
    },

    async getKey(id) {
      const record = keys.get(id);
      return record ? structuredClone(record) : null;
    },

    async listKeys(r) {
      const matching = [...keys.values()]
        .map((record) => ({ record, createdAt: Date.parse(record.createdAt), id: record.id }))
        .filter((item) => (!r.team || item.record.team === r.team) && (!r.after || isAfter(item, r.after)))
        .sort(newestFirst);
      return {
        keys: matching.slice(0, r.limit).map((item) => structuredClone(item.record)),
        hasMore: matching.length > r.limit,
      };
    },

    async allowedOrigins() {
      return [...origins];
    },

    async listAudit(r) {
      const older = audit.filter((entry) => !r.before || Number(entry.id) < Number(r.before)).reverse();
      return {
        entries: older.slice(0, r.limit).map((entry) => structuredClone(entry)),
        hasMore: older.length > r.limit,
      };
    },
  };
}
