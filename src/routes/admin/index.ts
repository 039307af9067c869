// The admin surface: `Authorization: Bearer $ADMIN_TOKEN` (compared in constant time), or a
// team key holding the `admin` scope (or, for the usage reports, `usage:read` or
// `usage:read:all`). A `usage:read` key reads its own team's usage only. Not registered at all
// when no token is configured.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errors } from '../../errors.js';
import type { Actor } from '../../services/audited-change.js';
import { EPHEMERAL_KEY_PREFIX, KEY_PREFIX, secretsEqual } from '../../services/key-secrets.js';
import { authenticateKey, presentedKey } from '../../plugins/team-auth.js';
import { alertRoutes } from './alerts.js';
import { auditRoutes } from './audit.js';
import { keyRoutes } from './keys.js';
import { priceRoutes } from './prices.js';
import { statementRoutes } from './statements.js';
import { teamRoutes } from './teams.js';
import { usageRoutes } from './usage.js';
import type { Scope } from '../../domain/keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
    /** The one team whose usage this caller may read; null when it may read every team's. */
    usageTeam: string | null;
  }
}

/** Scopes that read every team's usage; `usage:read` alone reads the key's own team's. */
const ORGANISATION_WIDE: Scope[] = ['usage:read:all', 'admin'];

export const adminRoutes: FastifyPluginAsyncTypebox<{ token: string }> = async (app, options) => {
  const { keyLookup } = app.services;
  app.decorateRequest('actor');
  app.decorateRequest('usageTeam');
  app.addHook('onRequest', async (request) => {
    const secret = presentedKey(request);
    if (!secret) throw new errors.AdminUnauthorized();
    if (secretsEqual(secret, options.token)) {
      request.actor = { name: 'admin-token', requestId: request.id };
      request.usageTeam = null;
      return;
    }
    if (!secret.startsWith(KEY_PREFIX) && !secret.startsWith(EPHEMERAL_KEY_PREFIX))
      throw new errors.AdminUnauthorized();
    const scopes: Scope[] =
      request.routeOptions.config.scope === 'usage:read' ? ['usage:read', 'usage:read:all', 'admin'] : ['admin'];
    const { key } = await authenticateKey(keyLookup, request, secret, scopes);
    request.actor = { name: `key:${key.id}`, requestId: request.id };
    request.usageTeam = ORGANISATION_WIDE.some((scope) => key.scopes.includes(scope)) ? null : key.team;
  });
  await app.register(keyRoutes);
  await app.register(teamRoutes);
  await app.register(auditRoutes);
  await app.register(usageRoutes);
  await app.register(statementRoutes);
  await app.register(priceRoutes);
  await app.register(alertRoutes);
};
