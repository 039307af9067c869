// The admin surface, authenticated with `Authorization: Bearer $ADMIN_TOKEN` (compared in
// constant time). Not registered at all when no token is configured.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errors } from '../../errors.js';
import { secretsEqual } from '../../services/team-keys.js';
import { keyRoutes } from './keys.js';

export const adminRoutes: FastifyPluginAsyncTypebox<{ token: string }> = async (app, options) => {
  app.addHook('onRequest', async (request) => {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!bearer || !secretsEqual(bearer[1]!, options.token)) throw new errors.AdminUnauthorized();
  });
  await app.register(keyRoutes);
};
