// Team-key authentication, accepted exactly as Apiframe accepts its keys: `X-API-Key: <key>`
// or `Authorization: Bearer <key>`. The key itself is never echoed or logged; only its SHA-256
// is looked up.
import type { FastifyRequest } from 'fastify';
import { errors } from '../errors.js';
import type { Clock } from '../services/clock.js';
import type { Caller } from '../services/job-gateway.js';
import type { Store } from '../services/store/types.js';
import { hashKey, looksLikeTeamKey } from '../services/team-keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
}

export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header.trim();
  const authorization = request.headers.authorization;
  const bearer = authorization && /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return bearer ? bearer[1] : undefined;
}

export function createTeamAuthenticator(store: Store, clock: Clock) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const key = presentedKey(request);
    if (!key) throw new errors.Unauthorized();
    if (!looksLikeTeamKey(key)) throw new errors.InvalidKey();
    const record = await store.findKeyByHash(hashKey(key));
    if (!record) throw new errors.InvalidKey();
    if (record.revokedAt) throw new errors.KeyRevoked();
    if (record.expiresAt && Date.parse(record.expiresAt) <= clock()) throw new errors.KeyExpired();
    request.caller = { key: record, teamBudget: null };
  };
}
