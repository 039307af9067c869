// Who a request to the job services comes from: an authenticated team key and its team's budget,
// or an ephemeral key acting for its parent key.
import type { Budget } from '../domain/budgets.js';
import type { EphemeralKeyRecord } from '../domain/ephemeral-keys.js';
import type { TeamKeyRecord } from '../domain/keys.js';

export interface Caller {
  /** The key the request spends for; an ephemeral key's parent, narrowed to the ephemeral key's models and origins. */
  key: TeamKeyRecord;
  teamBudget: Budget | null;
  /** The team's own alert thresholds (null or absent: the gateway default). */
  teamAlertThresholds?: number[] | null;
  /** The ephemeral key making the request, when one does: its cap, jobs and visibility apply too. */
  ephemeral?: EphemeralKeyRecord;
}

/**
 * An ephemeral key as a caller: its parent's id, team, budget and rate limit (so its spend and
 * jobs count as the parent's), with its own models and origins, and no scope but `generate`.
 */
export function ephemeralCaller(
  ephemeral: EphemeralKeyRecord,
  parent: TeamKeyRecord,
  teamBudget: Budget | null,
): Caller {
  const key: TeamKeyRecord = {
    ...parent,
    allowedModels: ephemeral.allowedModels ?? parent.allowedModels,
    allowedOrigins: ephemeral.allowedOrigins,
    scopes: ['generate'],
  };
  return { key, teamBudget, ephemeral };
}

/** The id the caller's Idempotency-Keys are kept under: an ephemeral key's own, never its parent's or a sibling's. */
export const callerKeyId = (caller: Caller): string => caller.ephemeral?.id ?? caller.key.id;
