// Ephemeral (browser) keys: short-lived keys a server key mints for one browser session. Each
// spends within its own cap and its parent key's and team's budgets, and lives only as long as
// its own expiry and its parent's standing allow.
import { keyStatus, previousSecretValid, type KeyStatus, type TeamKeyRecord } from './keys.js';

export interface EphemeralKeyRecord {
  id: string;
  parentKeyId: string;
  /** SHA-256 of the parent's secret at minting: a rotation without grace ends the ephemeral key. */
  parentHash: string;
  team: string;
  /** SHA-256 (hex) of its secret. */
  hash: string;
  prefix: string;
  createdAt: string;
  expiresAt: string;
  /** Its cap: credits it may spend over its life. */
  credits: number;
  allowedOrigins: string[];
  /** Null: the parent's models. */
  allowedModels: string[] | null;
  /** Jobs it may create; null: no limit beyond its credits. */
  maxJobs: number | null;
  metadata: Record<string, string>;
}

/** What a reservation checks for an ephemeral key, next to its parent's and team's budgets. */
export interface EphemeralCap {
  id: string;
  credits: number;
  maxJobs: number | null;
}

export const EPHEMERAL_TTL_SECONDS = { min: 60, max: 3_600, default: 900 } as const;

/** An exact web origin: scheme://host[:port], lower case, no path, query, credentials or wildcard. */
export function isExactOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const web = url.protocol === 'https:' || url.protocol === 'http:';
  return web && !origin.includes('*') && url.origin === origin.toLowerCase();
}

/**
 * Whether an ephemeral key may be used at `now`: its own expiry, to the millisecond, and its
 * parent's standing (revoked, expired, or rotated past the secret it was minted under).
 */
export function ephemeralStatus(
  record: EphemeralKeyRecord,
  parent: TeamKeyRecord | null,
  now: number,
): KeyStatus | 'unknown' {
  if (Date.parse(record.expiresAt) <= now) return 'expired';
  if (!parent) return 'unknown';
  const status = keyStatus(parent, now);
  if (status !== 'active') return status;
  const mintedUnderCurrent =
    parent.hash === record.parentHash ||
    (parent.previousHash === record.parentHash && previousSecretValid(parent, now));
  return mintedUnderCurrent ? 'active' : 'unknown';
}
