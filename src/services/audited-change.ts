// What every admin change shares: who made it, its audit entry, and the optimistic retry
// that turns a concurrent edit into a re-read instead of a lost update.
import { errors } from '../errors.js';
import type { AuditEntry } from '../domain/keys.js';

export interface Actor {
  /** "admin-token", or "key:<id>" for a key with the admin scope. */
  name: string;
  requestId: string;
}

export function auditEntry(
  actor: Actor,
  action: string,
  target: string,
  before: unknown,
  after: unknown,
  at: number,
): AuditEntry {
  return {
    at: new Date(at).toISOString(),
    actor: actor.name,
    action,
    target,
    before,
    after,
    requestId: actor.requestId,
  };
}

/**
 * Runs `attempt` (read, change, save with the version read) until its save is not refused by a
 * concurrent change; `attempt` returns null when the save lost the race.
 */
export async function withRetries<T>(attempt: () => Promise<T | null>): Promise<T> {
  for (let tries = 0; tries < 5; tries++) {
    const result = await attempt();
    if (result !== null) return result;
  }
  throw new errors.Conflict();
}
