// Team-key authentication, accepted exactly as Apiframe accepts its keys: `X-API-Key: <key>`
// or `Authorization: Bearer <key>`. The key is never echoed or logged; only its SHA-256 is
// looked up. A request that carries an Origin (a browser's) must come from one of the key's
// allowed origins.
import type { FastifyRequest } from 'fastify';
import { errors } from '../errors.js';
import type { Caller } from '../services/job-gateway.js';
import type { KeyDirectory } from '../services/key-directory.js';
import type { Scope } from '../services/store/types.js';
import { looksLikeTeamKey } from '../services/team-keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
}

export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header.trim();
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return bearer ? bearer[1] : undefined;
}

/** The active key behind `secret`, checked for `scope` and for the request's Origin. */
export async function authenticateKey(directory: KeyDirectory, request: FastifyRequest, secret: string, scope: Scope): Promise<Caller> {
  if (!looksLikeTeamKey(secret)) throw new errors.InvalidKey();
  const found = await directory.resolve(secret);
  if (found.status !== 'active') {
    throw found.status === 'revoked' ? new errors.KeyRevoked()
      : found.status === 'expired' ? new errors.KeyExpired()
      : new errors.InvalidKey();
  }
  const { key, team } = found;
  const origin = request.headers.origin;
  if (origin !== undefined) {
    if (key.allowedOrigins.length === 0) throw new errors.BrowserNotAllowed();
    if (!key.allowedOrigins.includes(origin.toLowerCase())) throw new errors.OriginNotAllowed(origin.slice(0, 255));
  }
  if (!key.scopes.includes(scope)) throw new errors.ScopeDenied(scope);
  return { key, teamBudget: team?.budget ?? null };
}

/** An onRequest hook admitting team keys that hold `scope`. CORS preflights pass through. */
export function requireTeamKey(directory: KeyDirectory, scope: Scope) {
  return async function teamKeyHook(request: FastifyRequest): Promise<void> {
    if (request.method === 'OPTIONS') return;
    const secret = presentedKey(request);
    if (!secret) throw new errors.Unauthorized();
    request.caller = await authenticateKey(directory, request, secret, scope);
  };
}
