// Team keys, teams and the admin audit trail: the records, their scopes, and whether a key may
// be used at a given instant.
import type { Budget } from './budgets.js';

export const SCOPES = ['generate', 'usage:read', 'usage:read:all', 'admin', 'keys:mint'] as const;
export type Scope = (typeof SCOPES)[number];

/** Requests per minute a key may make; null fields fall back to the gateway defaults. */
export interface RateLimit {
  generatePerMinute: number | null;
  readsPerMinute: number | null;
}

export interface TeamKeyRecord {
  id: string;
  name: string;
  team: string;
  prefix: string;
  /** SHA-256 (hex) of the current secret. */
  hash: string;
  /** SHA-256 of the secret replaced by the last rotation, accepted until previousHashExpiresAt. */
  previousHash: string | null;
  previousHashExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Incremented by every change; saves compare it to refuse lost updates. */
  version: number;
  budget: Budget | null;
  expiresAt: string | null;
  revokedAt: string | null;
  scopes: Scope[];
  /** Models this key may use; null: every model the gateway prices. */
  allowedModels: string[] | null;
  /** Web origins this key may be used from; empty: not usable from a browser. */
  allowedOrigins: string[];
  rateLimit: RateLimit | null;
  metadata: Record<string, string>;
  /** Percents of the key's budget that raise an alert; null or absent (older records): the gateway default. */
  alertThresholds?: number[] | null;
}

export interface TeamRecord {
  id: string;
  name: string;
  /** Shared by all the team's keys; null: unlimited. */
  budget: Budget | null;
  /** Percents of the team's budget that raise an alert; null or absent (older records): the gateway default. */
  alertThresholds?: number[] | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** One admin action: who did what to which record, and the record before and after. Never a secret. */
export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
  requestId: string;
}

export interface StoredAuditEntry extends AuditEntry {
  /** Position in the trail, usable as a cursor. */
  id: string;
}

export type KeyStatus = 'active' | 'revoked' | 'expired';

/** Whether a key may be used at `now`. */
export function keyStatus(record: TeamKeyRecord, now: number): KeyStatus {
  if (record.revokedAt) return 'revoked';
  if (record.expiresAt && Date.parse(record.expiresAt) <= now) return 'expired';
  return 'active';
}

/** True while a rotated key's previous secret still works (its grace period). */
export function previousSecretValid(record: TeamKeyRecord, now: number): boolean {
  return record.previousHashExpiresAt !== null && Date.parse(record.previousHashExpiresAt) > now;
}
