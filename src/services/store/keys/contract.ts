// Key records: team keys, teams, the origins keys allow, the audit trail, and the notifications
// that tell every instance a record changed so cached copies are dropped.
import type { ChangeEvent } from '../../../domain/changes.js';
import type { EphemeralKeyRecord } from '../../../domain/ephemeral-keys.js';
import type { AuditEntry, StoredAuditEntry, TeamKeyRecord, TeamRecord } from '../../../domain/keys.js';
import type { Position } from '../cursor.js';

export interface KeyChange {
  /** The new state; its version is expectedVersion + 1. */
  record: TeamKeyRecord;
  /** The version the change was based on (0 when creating). */
  expectedVersion: number;
  /** A rotation: the hash that stops resolving, and when (ms since epoch). */
  retire?: { hash: string; at: number };
  /** Created with the key when its team did not exist yet. */
  implicitTeam?: { record: TeamRecord; audit: AuditEntry };
  audit: AuditEntry;
}

export interface TeamChange {
  record: TeamRecord;
  expectedVersion: number;
  audit: AuditEntry;
}

export interface ListKeysRequest {
  team?: string;
  after?: Position;
  limit: number;
}

export interface ListAuditRequest {
  /** Entries strictly older than this id. */
  before?: string;
  limit: number;
}

export interface KeyRecords {
  /**
   * Creates or updates a key atomically with its indexes and audit entry, and announces it to every
   * instance in the same step (a `key` change event); false on a version conflict.
   */
  saveKey(change: KeyChange): Promise<boolean>;
  findKeyByHash(hash: string): Promise<TeamKeyRecord | null>;
  getKey(id: string): Promise<TeamKeyRecord | null>;
  listKeys(request: ListKeysRequest): Promise<{ keys: TeamKeyRecord[]; hasMore: boolean }>;
  /** Creates or updates a team with its audit entry, announced like saveKey (a `team` event). */
  saveTeam(change: TeamChange): Promise<boolean>;
  getTeam(id: string): Promise<TeamRecord | null>;
  listTeams(): Promise<TeamRecord[]>;
  /**
   * The team's UUID (its id in Apiframe's shapes; the slug stays its name): a random v4 given on
   * the first ask, atomically, so every instance hands out the same one, and never changed.
   */
  teamUuid(team: string): Promise<string>;
  /** Every origin any key has been allowed (for CORS preflights; each request still checks its own key). */
  allowedOrigins(): Promise<string[]>;
  listAudit(request: ListAuditRequest): Promise<{ entries: StoredAuditEntry[]; hasMore: boolean }>;
  /** Adds an entry of something the gateway did on its own (an alert fired) or beside a record (an alert target). */
  appendAudit(entry: AuditEntry): Promise<void>;
  /**
   * Saves a minted ephemeral key with its audit entry, in one step; it is gone at its expiresAt.
   * Its origins join allowedOrigins() (a new one announced, as a `key` change of its id).
   */
  saveEphemeralKey(record: EphemeralKeyRecord, audit: AuditEntry): Promise<void>;
  /** The unexpired ephemeral key whose secret hashes to `hash`. */
  findEphemeralKeyByHash(hash: string): Promise<EphemeralKeyRecord | null>;
  /** The unexpired ephemeral key `id`. */
  getEphemeralKey(id: string): Promise<EphemeralKeyRecord | null>;
  /**
   * Deletes an ephemeral key with its audit entry and announces it (a `key` change of its id), in
   * one step; false when it was gone already (revoked or expired), nothing written.
   */
  revokeEphemeralKey(record: EphemeralKeyRecord, audit: AuditEntry): Promise<boolean>;
}

/** A change, or `resync` when notifications may have been missed (drop every cached copy). */
export type ChangeListener = (event: ChangeEvent | 'resync') => void;

export interface ChangeNotifications {
  /** Tells every instance (this one included) that a record changed. */
  publishChange(event: ChangeEvent): Promise<void>;
  onChange(listener: ChangeListener): void;
  /** True while change notifications are known to arrive; caches must not be trusted otherwise. */
  changesLive(): boolean;
}
