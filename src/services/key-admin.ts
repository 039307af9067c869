// Issuing and revoking team keys. The plaintext key exists only in the create answer; the
// store keeps its SHA-256 and a short display prefix.
import { randomUUID } from 'node:crypto';
import type { CreateKeyBody } from '../schemas/admin-keys.js';
import { budgetStatus } from './budget-status.js';
import type { Clock } from './clock.js';
import type { Store, TeamKeyRecord } from './store/types.js';
import { displayPrefix, generateTeamKey, hashKey } from './team-keys.js';

export function keyStatus(record: TeamKeyRecord, now: number): 'active' | 'revoked' | 'expired' {
  if (record.revokedAt) return 'revoked';
  if (record.expiresAt && Date.parse(record.expiresAt) <= now) return 'expired';
  return 'active';
}

export function createKeyAdmin(store: Store, clock: Clock) {
  async function view(record: TeamKeyRecord) {
    const now = clock();
    const { hash: _hash, ...shown } = record;
    return { ...shown, status: keyStatus(record, now), ...(await budgetStatus(store, record, null, now)) };
  }

  return {
    async create(input: CreateKeyBody) {
      const key = generateTeamKey();
      const record: TeamKeyRecord = {
        id: randomUUID(),
        name: input.name,
        team: input.team,
        prefix: displayPrefix(key),
        hash: hashKey(key),
        createdAt: new Date(clock()).toISOString(),
        budget: input.budget ?? null,
        expiresAt: input.expiresAt ? new Date(input.expiresAt).toISOString() : null,
        revokedAt: null,
      };
      await store.createKey(record);
      const { hash: _hash, revokedAt: _revokedAt, ...shown } = record;
      return { ...shown, key };
    },

    async list() {
      const records = await store.listKeys();
      return Promise.all(records.map(view));
    },

    /** Revokes the key (idempotent); null when there is no such key. */
    async revoke(id: string) {
      const record = await store.getKey(id);
      if (!record) return null;
      if (!record.revokedAt) {
        record.revokedAt = new Date(clock()).toISOString();
        await store.saveKey(record);
      }
      return view(record);
    },
  };
}
