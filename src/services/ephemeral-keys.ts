// Minting ephemeral (browser) keys for a parent team key: checked against what the parent may
// spend and use, saved once with its audit entry (never its secret), answered once with the
// secret. The store keeps only the SHA-256 and drops the record at its expiry, or when the key is
// revoked before it (by its minter or an admin: a session signed out).
import { v7 as uuidV7 } from 'uuid';
import { errors, invalidInput } from '../errors.js';
import type { Budget } from '../domain/budgets.js';
import { EPHEMERAL_TTL_SECONDS, isExactOrigin, type EphemeralKeyRecord } from '../domain/ephemeral-keys.js';
import { keyStatus, type TeamKeyRecord } from '../domain/keys.js';
import type { EphemeralKeyWithSecret, MintEphemeralKeyBody } from '../schemas/ephemeral-keys.js';
import { auditEntry, type Actor } from './audited-change.js';
import { budgetStatus } from './budget-status.js';
import type { Clock } from './clock.js';
import { displayPrefix, generateEphemeralKey, hashKey } from './key-secrets.js';
import type { Store } from './store/store.js';

const iso = (at: number) => new Date(at).toISOString();

/** The key as the audit trail and its minter see it: never a hash. */
function publicView({ hash: _hash, parentHash: _parentHash, ...shown }: EphemeralKeyRecord) {
  return shown;
}

/** The refusals of a body the schema accepted: origins, models and budget beyond the parent's. */
async function refusals(
  store: Store,
  parent: TeamKeyRecord,
  teamBudget: Budget | null,
  body: MintEphemeralKeyBody,
  now: number,
): Promise<Record<string, string[]>> {
  const details: Record<string, string[]> = {};
  const inexact = body.allowedOrigins.filter((origin) => !isExactOrigin(origin));
  if (inexact.length > 0) details.allowedOrigins = [`not an exact origin: ${inexact.join(', ')}`];
  const beyond = (body.allowedModels ?? []).filter(
    (model) => parent.allowedModels && !parent.allowedModels.includes(model),
  );
  if (beyond.length > 0) details.allowedModels = [`not allowed for the parent key: ${beyond.join(', ')}`];
  const { remaining } = await budgetStatus(store, parent, teamBudget, now);
  if (remaining !== null && body.budget.credits > remaining) {
    details['budget.credits'] = [`must be at most ${remaining}, what the parent key may still spend`];
  }
  return details;
}

export function createEphemeralKeys(store: Store, clock: Clock) {
  /** Mints an ephemeral key for `parent` (active, checked by the caller), or refuses with a 400, nothing saved. */
  async function mint(
    parent: TeamKeyRecord,
    teamBudget: Budget | null,
    body: MintEphemeralKeyBody,
    actor: Actor,
  ): Promise<EphemeralKeyWithSecret> {
    const now = clock();
    const details = await refusals(store, parent, teamBudget, body, now);
    if (Object.keys(details).length > 0) throw invalidInput(details);
    const secret = generateEphemeralKey();
    const record: EphemeralKeyRecord = {
      // A UUIDv7 dates the key, so its spend counters can go once it has expired (domain/spend-fields.ts).
      id: uuidV7({ msecs: now }),
      parentKeyId: parent.id,
      parentHash: parent.hash,
      team: parent.team,
      hash: hashKey(secret),
      prefix: displayPrefix(secret),
      createdAt: iso(now),
      expiresAt: iso(now + (body.ttlSeconds ?? EPHEMERAL_TTL_SECONDS.default) * 1_000),
      credits: body.budget.credits,
      allowedOrigins: body.allowedOrigins.map((origin) => origin.toLowerCase()),
      allowedModels: body.allowedModels ?? null,
      maxJobs: body.maxJobs ?? null,
      metadata: body.metadata ?? {},
    };
    const view = publicView(record);
    await store.saveEphemeralKey(record, auditEntry(actor, 'ephemeral-key.mint', `key:${parent.id}`, null, view, now));
    const { id, parentKeyId, team, expiresAt, allowedOrigins, allowedModels, maxJobs, metadata } = view;
    return {
      key: secret,
      id,
      parentKeyId,
      team,
      expiresAt,
      budget: { credits: record.credits },
      allowedOrigins,
      allowedModels,
      maxJobs,
      metadata,
    };
  }

  /**
   * Revokes the ephemeral key `id` that the key `parentId` minted; an unknown, expired or already
   * revoked key, or another key's, is not found.
   */
  async function revoke(id: string, parentId: string, actor: Actor): Promise<void> {
    const record = await store.getEphemeralKey(id);
    if (!record || record.parentKeyId !== parentId) throw new errors.KeyNotFound();
    const audit = auditEntry(
      actor,
      'ephemeral-key.revoke',
      `key:${record.parentKeyId}`,
      publicView(record),
      null,
      clock(),
    );
    if (!(await store.revokeEphemeralKey(record, audit))) throw new errors.KeyNotFound();
  }

  return {
    mint,
    revoke,

    /** An admin's mint on behalf of the key `parentId`: it must exist and be active. */
    async mintFor(parentId: string, body: MintEphemeralKeyBody, actor: Actor): Promise<EphemeralKeyWithSecret> {
      const parent = await store.getKey(parentId);
      if (!parent) throw new errors.KeyNotFound();
      const status = keyStatus(parent, clock());
      if (status === 'revoked') throw new errors.RevokedKeyNotEditable();
      if (status === 'expired') throw invalidInput({ parent: ['the parent key has expired'] });
      const team = await store.getTeam(parent.team);
      return mint(parent, team?.budget ?? null, body, actor);
    },
  };
}

export type EphemeralKeys = ReturnType<typeof createEphemeralKeys>;
