// Team-key authentication, accepted exactly as Apiframe accepts its keys: `X-API-Key: <key>`
// or `Authorization: Bearer <key>`. The key is never echoed or logged; only its SHA-256 is
// looked up. A request that carries an Origin (a browser's) must come from one of the key's
// allowed origins. Ephemeral keys are admitted only by routes that say so.
import type { FastifyRequest } from 'fastify';
import { errors } from '../errors.js';
import { ephemeralCaller, type Caller } from '../services/caller.js';
import type { KeyLookup } from '../services/key-lookup.js';
import type { Scope } from '../domain/keys.js';
import { looksLikeEphemeralKey, looksLikeTeamKey } from '../services/key-secrets.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
  interface FastifyContextConfig {
    /** The scope a team key needs for this route: `generate` by default, `any` for none. */
    scope?: Scope | 'any';
    /** True when ephemeral keys may call this route (job submissions and reads, /v2/me). */
    ephemeral?: boolean;
  }
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(request: FastifyRequest): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
}

export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header.trim();
  return bearerToken(request);
}

/**
 * The active key behind `secret`, holding one of `scopes` (none asked: any key), allowed at the
 * request's Origin; an ephemeral key only where `admitsEphemeral`.
 */
export async function authenticateKey(
  keyLookup: KeyLookup,
  request: FastifyRequest,
  secret: string,
  scopes: Scope[],
  admitsEphemeral = false,
): Promise<Caller> {
  if (!looksLikeTeamKey(secret) && !looksLikeEphemeralKey(secret)) throw new errors.InvalidKey();
  const found = await keyLookup.resolve(secret);
  if (found.status !== 'active') {
    throw found.status === 'revoked'
      ? new errors.RevokedKeyPresented()
      : found.status === 'expired'
        ? new errors.KeyExpired()
        : new errors.InvalidKey();
  }
  const teamAlertThresholds = found.team?.alertThresholds ?? null;
  const caller = found.ephemeral
    ? { ...ephemeralCaller(found.ephemeral, found.key, found.team?.budget ?? null), teamAlertThresholds }
    : { key: found.key, teamBudget: found.team?.budget ?? null, teamAlertThresholds };
  const { key } = caller;
  const origin = request.headers.origin;
  if (origin !== undefined) {
    if (key.allowedOrigins.length === 0) throw new errors.BrowserNotAllowed();
    if (!key.allowedOrigins.includes(origin.toLowerCase())) throw new errors.OriginNotAllowed(origin.slice(0, 255));
  }
  if (caller.ephemeral && !admitsEphemeral) throw new errors.EphemeralKeyNotAllowed();
  if (scopes.length > 0 && !scopes.some((scope) => key.scopes.includes(scope))) throw new errors.ScopeDenied(scopes[0]);
  return caller;
}

/** An onRequest hook admitting team keys that hold the route's scope. CORS preflights pass through. */
export function requireTeamKey(keyLookup: KeyLookup) {
  return async function teamKeyHook(request: FastifyRequest): Promise<void> {
    if (request.method === 'OPTIONS') return;
    const secret = presentedKey(request);
    if (!secret) throw new errors.Unauthorized();
    const scope = request.routeOptions.config.scope ?? 'generate';
    const { ephemeral = false } = request.routeOptions.config;
    request.caller = await authenticateKey(keyLookup, request, secret, scope === 'any' ? [] : [scope], ephemeral);
  };
}
