// The team-key lifecycle: issue, read, update, rotate and revoke. Plaintext secrets exist only
// in the issue and rotate answers; the store keeps SHA-256 hashes. Every change is saved with
// its audit entry, and announced to every gateway instance, in one atomic step.
import { randomUUID } from 'node:crypto';
import { errors, invalidInput } from '../errors.js';
import type { CreateKeyBody, UpdateKeyBody } from '../schemas/admin.js';
import { auditEntry, withRetries, type Actor } from './audited-change.js';
import { budgetStatus } from './budget-status.js';
import type { Clock } from './clock.js';
import { encodeCursor, positionOf } from './store/cursor.js';
import { keyStatus, previousSecretValid, type KeyStatus, type TeamKeyRecord, type TeamRecord } from '../domain/keys.js';
import type { Store } from './store/store.js';
import { displayPrefix, generateTeamKey, hashKey } from './key-secrets.js';

/** A key as admins and the audit trail see it: everything but its hashes. */
function publicKey(record: TeamKeyRecord, now: number) {
  const { hash: _hash, previousHash: _previousHash, previousHashExpiresAt, version: _version, ...shown } = record;
  return {
    ...shown,
    alertThresholds: record.alertThresholds ?? null,
    previousKeyValidUntil: previousSecretValid(record, now) ? previousHashExpiresAt : null,
  };
}

export interface ListKeysOptions {
  team?: string;
  status?: KeyStatus;
  limit: number;
  cursor?: string;
}

const MAX_SCANNED = 2_000;

const iso = (at: number) => new Date(at).toISOString();

function checkModels(models: string[] | null | undefined, enabledModels: readonly string[]): void {
  const unknown = (models ?? []).filter((model) => !enabledModels.includes(model));
  if (unknown.length > 0) {
    throw invalidInput({
      allowedModels: [`unknown model ${unknown.join(', ')}; models this gateway offers: ${enabledModels.join(', ')}`],
    });
  }
}

/** A new key's record, holding only the hash of `secret`. */
function newKeyRecord(input: CreateKeyBody, secret: string, now: number): TeamKeyRecord {
  return {
    id: randomUUID(),
    name: input.name,
    team: input.team,
    prefix: displayPrefix(secret),
    hash: hashKey(secret),
    previousHash: null,
    previousHashExpiresAt: null,
    createdAt: iso(now),
    updatedAt: iso(now),
    version: 1,
    budget: input.budget ?? null,
    expiresAt: input.expiresAt ? iso(Date.parse(input.expiresAt)) : null,
    revokedAt: null,
    scopes: input.scopes ?? ['generate'],
    allowedModels: input.allowedModels ?? null,
    allowedOrigins: (input.allowedOrigins ?? []).map((origin) => origin.toLowerCase()),
    rateLimit: input.rateLimit ?? null,
    metadata: input.metadata ?? {},
    alertThresholds: input.alertThresholds ?? null,
  };
}

/** The team issuing a key creates when it does not exist yet: named after its id, without a budget. */
function implicitTeam(id: string, now: number): TeamRecord {
  return { id, name: id, budget: null, createdAt: iso(now), updatedAt: iso(now), version: 1 };
}

async function existingKey(store: Store, id: string): Promise<TeamKeyRecord> {
  const record = await store.getKey(id);
  if (!record) throw new errors.KeyNotFound();
  return record;
}

/** Keys as admins read them: with their status and budget, never their hashes. */
function createKeyReads(store: Store, clock: Clock) {
  async function view(record: TeamKeyRecord) {
    const now = clock();
    const team = await store.getTeam(record.team);
    return {
      ...publicKey(record, now),
      status: keyStatus(record, now),
      ...(await budgetStatus(store, record, team?.budget ?? null, now)),
    };
  }

  async function list(options: ListKeysOptions) {
    let after = positionOf(options.cursor);
    const found: TeamKeyRecord[] = [];
    let hasMore = true;
    let scanned = 0;
    const now = clock();
    while (found.length < options.limit && hasMore && scanned < MAX_SCANNED) {
      const page = await store.listKeys({
        ...(options.team && { team: options.team }),
        ...(after && { after }),
        limit: options.limit - found.length,
      });
      hasMore = page.hasMore;
      scanned += page.keys.length;
      found.push(...page.keys.filter((record) => !options.status || keyStatus(record, now) === options.status));
      const last = page.keys.at(-1);
      if (last) after = { createdAt: Date.parse(last.createdAt), id: last.id };
    }
    return {
      keys: await Promise.all(found.map(view)),
      nextCursor: hasMore && after ? encodeCursor(after) : null,
      hasMore,
    };
  }

  return { view, list };
}

/** Edits of an existing key, each saved with its audit entry. */
function createKeyChange(store: Store, clock: Clock) {
  /** Applies `apply` to the current record and saves it, re-reading on a concurrent edit. */
  return async function change(
    id: string,
    actor: Actor,
    action: string,
    apply: (record: TeamKeyRecord, now: number) => { retire?: { hash: string; at: number } } | undefined,
  ) {
    return withRetries(async () => {
      const before = await existingKey(store, id);
      if (before.revokedAt && action !== 'key.revoke') throw new errors.RevokedKeyNotEditable();
      const now = clock();
      const after: TeamKeyRecord = structuredClone(before);
      const extra = apply(after, now) ?? {};
      after.version = before.version + 1;
      after.updatedAt = iso(now);
      const saved = await store.saveKey({
        record: after,
        expectedVersion: before.version,
        ...extra,
        audit: auditEntry(actor, action, `key:${id}`, publicKey(before, now), publicKey(after, now), now),
      });
      return saved ? after : null;
    });
  };
}

export function createKeyAdmin(store: Store, clock: Clock, enabledModels: readonly string[]) {
  const { view, list } = createKeyReads(store, clock);
  const change = createKeyChange(store, clock);

  return {
    async create(input: CreateKeyBody, actor: Actor) {
      checkModels(input.allowedModels, enabledModels);
      const secret = generateTeamKey();
      const now = clock();
      const record = newKeyRecord(input, secret, now);
      const team = implicitTeam(input.team, now);
      const saved = await store.saveKey({
        record,
        expectedVersion: 0,
        implicitTeam: {
          record: team,
          audit: auditEntry(actor, 'team.create', `team:${input.team}`, null, team, now),
        },
        audit: auditEntry(actor, 'key.create', `key:${record.id}`, null, publicKey(record, now), now),
      });
      if (!saved) throw new errors.Conflict();
      return { ...(await view(record)), key: secret };
    },

    async get(id: string) {
      return view(await existingKey(store, id));
    },

    list,

    async update(id: string, patch: UpdateKeyBody, actor: Actor) {
      checkModels(patch.allowedModels, enabledModels);
      const record = await change(id, actor, 'key.update', (record) => {
        const { allowedOrigins, expiresAt, ...rest } = patch;
        Object.assign(record, rest);
        if (allowedOrigins) record.allowedOrigins = allowedOrigins.map((origin) => origin.toLowerCase());
        if (expiresAt !== undefined) record.expiresAt = expiresAt === null ? null : iso(Date.parse(expiresAt));
      });
      return view(record);
    },

    async rotate(id: string, gracePeriodSeconds: number, actor: Actor) {
      const secret = generateTeamKey();
      const record = await change(id, actor, 'key.rotate', (record, now) => {
        const retired = record.hash;
        record.previousHash = gracePeriodSeconds > 0 ? retired : null;
        record.previousHashExpiresAt = gracePeriodSeconds > 0 ? iso(now + gracePeriodSeconds * 1_000) : null;
        record.hash = hashKey(secret);
        record.prefix = displayPrefix(secret);
        // The record's previousHashExpiresAt decides; the index entry merely goes away with it.
        return { retire: { hash: retired, at: Date.now() + gracePeriodSeconds * 1_000 } };
      });
      return { ...(await view(record)), key: secret };
    },

    async revoke(id: string, actor: Actor) {
      const current = await existingKey(store, id);
      if (current.revokedAt) {
        // A retry of a revoke whose answer was lost: announce again, in case an instance missed it.
        await store.publishChange({ kind: 'key', id });
        return view(current);
      }
      const record = await change(id, actor, 'key.revoke', (record, now) => {
        record.revokedAt ??= iso(now);
      });
      return view(record);
    },
  };
}

export type KeyAdmin = ReturnType<typeof createKeyAdmin>;
