// The Apiframe-compatible surface. Every route here needs a team key, checked before the
// body is even read.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createTeamAuthenticator } from '../../plugins/team-auth.js';
import { imageRoutes } from './images.js';
import { jobRoutes } from './jobs.js';
import { meRoutes } from './me.js';

export const v2Routes: FastifyPluginAsyncTypebox = async (app) => {
  app.decorateRequest('caller');
  app.addHook('onRequest', createTeamAuthenticator(app.services.store, app.services.clock));
  await app.register(imageRoutes);
  await app.register(jobRoutes);
  await app.register(meRoutes);
};
