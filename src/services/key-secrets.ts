// Team key material: generation, hashing and the display prefix. Keys are `gk_` followed by
// 32 random bytes in base64url, ephemeral (browser) keys the same after `gke_`; only their
// SHA-256 is ever stored.
import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';

export const KEY_PREFIX = 'gk_';
export const EPHEMERAL_KEY_PREFIX = 'gke_';
const KEY_PATTERN = new RegExp(`^${KEY_PREFIX}[A-Za-z0-9_-]{43}$`);
const EPHEMERAL_KEY_PATTERN = new RegExp(`^${EPHEMERAL_KEY_PREFIX}[A-Za-z0-9_-]{43}$`);

export function generateTeamKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function generateEphemeralKey(): string {
  return EPHEMERAL_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function looksLikeTeamKey(candidate: string): boolean {
  return KEY_PATTERN.test(candidate);
}

export function looksLikeEphemeralKey(candidate: string): boolean {
  return EPHEMERAL_KEY_PATTERN.test(candidate);
}

/** Every request hashes its key: the one-shot `hash` costs a third of a `createHash` object. */
export function hashKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** The part of a key that may be shown: enough to recognise it, far too little to use it. */
export function displayPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX.length + 6);
}

/** Compares two secrets in constant time (lengths are hidden by hashing first). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
