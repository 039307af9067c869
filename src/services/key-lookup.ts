// Resolves presented team keys to their records, with an in-memory cache that every gateway
// instance drops the moment a key or team changes (the store's change notifications), so a
// revocation takes effect everywhere within a second. While notifications cannot be trusted
// (not subscribed, or silent), every lookup goes to the store; a lookup that a change overtook
// keeps its answer out of the cache, since the answer may predate the change. An ephemeral key
// is looked up the same way (its record never changes), and its parent by id on every request
// from the same cache, so the parent's revocation, expiry or rotation ends it at once.
import type { Clock } from './clock.js';
import { ephemeralStatus, type EphemeralKeyRecord } from '../domain/ephemeral-keys.js';
import { keyStatus, previousSecretValid, type TeamKeyRecord, type TeamRecord } from '../domain/keys.js';
import type { Store } from './store/store.js';
import { hashKey, looksLikeEphemeralKey } from './key-secrets.js';

/** An active key: a team key, or an ephemeral key (`ephemeral`) with its parent as `key`. */
export type Resolution =
  | { status: 'active'; key: TeamKeyRecord; team: TeamRecord | null; ephemeral?: EphemeralKeyRecord }
  | { status: 'unknown' | 'revoked' | 'expired' };

interface Cached<T> {
  value: T;
  at: number;
}

export interface KeyLookupOptions {
  store: Store;
  clock: Clock;
  /** Upper bound on the age of a cached record, as a safety net behind notifications. */
  ttlMs?: number;
}

export function createKeyLookup({ store, clock, ttlMs = 60_000 }: KeyLookupOptions) {
  const keysByHash = new Map<string, Cached<TeamKeyRecord>>();
  const keysById = new Map<string, Cached<TeamKeyRecord | null>>();
  const ephemeralByHash = new Map<string, Cached<EphemeralKeyRecord>>();
  const teams = new Map<string, Cached<TeamRecord | null>>();
  let origins: Promise<Set<string>> | null = null;
  let changesHeard = 0;

  store.onChange((event) => {
    changesHeard++;
    if (event === 'resync') {
      keysByHash.clear();
      keysById.clear();
      ephemeralByHash.clear();
      teams.clear();
      origins = null;
    } else if (event.kind === 'team') {
      teams.delete(event.id);
    } else if (event.kind === 'key') {
      for (const [hash, cached] of keysByHash) if (cached.value.id === event.id) keysByHash.delete(hash);
      keysById.delete(event.id);
      origins = null;
    }
  });

  function fresh<T>(cached: Cached<T> | undefined): cached is Cached<T> {
    return cached !== undefined && store.changesLive() && Date.now() - cached.at < ttlMs;
  }

  /** True when the answer of a lookup begun at `startedAt` (changes heard) may be cached. */
  function cacheable(startedAt: number): boolean {
    return changesHeard === startedAt && store.changesLive();
  }

  async function keyByHash(hash: string): Promise<TeamKeyRecord | null> {
    const cached = keysByHash.get(hash);
    if (fresh(cached)) return cached.value;
    const startedAt = changesHeard;
    const record = await store.findKeyByHash(hash);
    if (record && cacheable(startedAt)) keysByHash.set(hash, { value: record, at: Date.now() });
    return record;
  }

  async function keyById(id: string): Promise<TeamKeyRecord | null> {
    const cached = keysById.get(id);
    if (fresh(cached)) return cached.value;
    const startedAt = changesHeard;
    const record = await store.getKey(id);
    if (cacheable(startedAt)) keysById.set(id, { value: record, at: Date.now() });
    return record;
  }

  async function ephemeralKey(hash: string): Promise<EphemeralKeyRecord | null> {
    const cached = ephemeralByHash.get(hash);
    if (cached && Date.parse(cached.value.expiresAt) <= clock()) ephemeralByHash.delete(hash);
    else if (fresh(cached)) return cached.value;
    const record = await store.findEphemeralKeyByHash(hash);
    if (record && store.changesLive()) ephemeralByHash.set(hash, { value: record, at: Date.now() });
    return record;
  }

  async function resolveEphemeral(hash: string): Promise<Resolution> {
    const ephemeral = await ephemeralKey(hash);
    if (!ephemeral) return { status: 'unknown' };
    const parent = await keyById(ephemeral.parentKeyId);
    const status = ephemeralStatus(ephemeral, parent, clock());
    if (status !== 'active' || !parent) return { status: status === 'active' ? 'unknown' : status };
    return { status, key: parent, team: await team(parent.team), ephemeral };
  }

  async function team(id: string): Promise<TeamRecord | null> {
    const cached = teams.get(id);
    if (fresh(cached)) return cached.value;
    const startedAt = changesHeard;
    const record = await store.getTeam(id);
    if (cacheable(startedAt)) teams.set(id, { value: record, at: Date.now() });
    return record;
  }

  return {
    async resolve(secret: string): Promise<Resolution> {
      const hash = hashKey(secret);
      if (looksLikeEphemeralKey(secret)) return resolveEphemeral(hash);
      const key = await keyByHash(hash);
      const now = clock();
      const current = key && (key.hash === hash || (key.previousHash === hash && previousSecretValid(key, now)));
      if (!key || !current) return { status: 'unknown' };
      const status = keyStatus(key, now);
      if (status !== 'active') return { status };
      return { status, key, team: await team(key.team) };
    },

    /** True when some key allows `origin` (the CORS preflight's question; requests check their own key). */
    async isKnownOrigin(origin: string): Promise<boolean> {
      origins ??= store.allowedOrigins().then((list) => new Set(list));
      try {
        return (await origins).has(origin);
      } catch (error) {
        origins = null;
        throw error;
      }
    },
  };
}

export type KeyLookup = ReturnType<typeof createKeyLookup>;
