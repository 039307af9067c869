// Resolves presented team keys to their records, with an in-memory cache that every gateway
// instance drops the moment a key or team changes (the store's change notifications), so a
// revocation takes effect everywhere within a second. While notifications cannot be trusted
// (not subscribed, or silent), every lookup goes to the store; a lookup that a change overtook
// keeps its answer out of the cache, since the answer may predate the change. An ephemeral key
// is looked up the same way (its record changes only by going: its revocation is announced like
// a key's), and its parent by id on every request from the same cache, so the parent's
// revocation, expiry or rotation ends it at once.
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

/** Records by id or hash; null: known not to exist. */
type Cache<T> = Map<string, Cached<T | null>>;

export interface KeyLookupOptions {
  store: Store;
  clock: Clock;
  /** Upper bound on the age of a cached record, as a safety net behind notifications. */
  ttlMs?: number;
}

interface EphemeralReads {
  ephemeral(hash: string): Promise<EphemeralKeyRecord | null>;
  key(id: string): Promise<TeamKeyRecord | null>;
  team(id: string): Promise<TeamRecord | null>;
  /** Told of an ephemeral key found expired, so its cached copy goes. */
  expired(hash: string): void;
}

/** The ephemeral key whose secret hashes to `hash`, active at `now` if it and its parent are. */
async function resolveEphemeral(hash: string, now: number, reads: EphemeralReads): Promise<Resolution> {
  const ephemeral = await reads.ephemeral(hash);
  if (!ephemeral) return { status: 'unknown' };
  const parent = await reads.key(ephemeral.parentKeyId);
  const status = ephemeralStatus(ephemeral, parent, now);
  if (status === 'expired') reads.expired(hash);
  if (status !== 'active' || !parent) return { status: status === 'active' ? 'unknown' : status };
  return { status, key: parent, team: await reads.team(parent.team), ephemeral };
}

/**
 * Reads through a cache: an entry while changes are heard live and younger than `ttlMs`, else the
 * store's answer, kept (when `keep` says so) only if no change was heard while it was read.
 */
function cacheReader(store: Store, ttlMs: number, changesHeard: () => number) {
  const fresh = <T>(cached: Cached<T> | undefined): cached is Cached<T> =>
    cached !== undefined && store.changesLive() && Date.now() - cached.at < ttlMs;

  return async function readThrough<T>(
    cache: Cache<T>,
    id: string,
    read: () => Promise<T | null>,
    keep = (_: T | null) => true,
  ) {
    const cached = cache.get(id);
    if (fresh(cached)) return cached.value;
    const startedAt = changesHeard();
    const value = await read();
    if (keep(value) && changesHeard() === startedAt && store.changesLive()) cache.set(id, { value, at: Date.now() });
    return value;
  };
}

export function createKeyLookup({ store, clock, ttlMs = 60_000 }: KeyLookupOptions) {
  const keysByHash: Cache<TeamKeyRecord> = new Map();
  const keysById: Cache<TeamKeyRecord> = new Map();
  const ephemeralByHash: Cache<EphemeralKeyRecord> = new Map();
  const teams: Cache<TeamRecord> = new Map();
  let origins: Promise<Set<string>> | null = null;
  let changesHeard = 0;

  store.onChange((event) => {
    changesHeard++;
    if (event === 'resync') {
      for (const cache of [keysByHash, keysById, ephemeralByHash, teams]) cache.clear();
      origins = null;
    } else if (event.kind === 'team') {
      teams.delete(event.id);
    } else if (event.kind === 'key') {
      for (const cache of [keysByHash, ephemeralByHash]) {
        for (const [hash, cached] of cache) if (cached.value?.id === event.id) cache.delete(hash);
      }
      keysById.delete(event.id);
      origins = null;
    }
  });

  const readThrough = cacheReader(store, ttlMs, () => changesHeard);

  const found = (value: unknown) => value !== null;
  const keyByHash = (hash: string) => readThrough(keysByHash, hash, () => store.findKeyByHash(hash), found);
  const team = (id: string) => readThrough(teams, id, () => store.getTeam(id));

  const ephemeralReads: EphemeralReads = {
    ephemeral: (hash) => readThrough(ephemeralByHash, hash, () => store.findEphemeralKeyByHash(hash), found),
    key: (id) => readThrough(keysById, id, () => store.getKey(id)),
    team,
    expired: (hash) => ephemeralByHash.delete(hash),
  };

  return {
    async resolve(secret: string): Promise<Resolution> {
      const hash = hashKey(secret);
      if (looksLikeEphemeralKey(secret)) return resolveEphemeral(hash, clock(), ephemeralReads);
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
