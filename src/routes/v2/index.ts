// The Apiframe-compatible surface. Every route but the public model catalogue needs a team key, with the `generate` scope
// unless the route says otherwise, checked before the body is read, and draws on the key's
// rate limit for submissions or for reads. Browsers may call it from the origins their key allows:
// preflights are answered for any origin some key allows, and each request then checks that
// its own key allows the origin it comes from.
import cors from '@fastify/cors';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { benchWithout } from '../../config.js';
import { usePerKeyRateLimits } from '../../plugins/rate-limits.js';
import { requireTeamKey } from '../../plugins/team-auth.js';
import { jobOperationRoutes } from './job-operations.js';
import { jobRoutes } from './jobs.js';
import { meRoutes } from './me.js';
import { modelRoutes } from './models.js';
import { assetRoutes } from './assets.js';
import { loraRoutes } from './loras.js';
import { uploadRoutes } from './uploads.js';
import { ownUsageRoutes } from './usage.js';
import { ephemeralKeyRoutes } from './ephemeral-keys.js';

export const v2Routes: FastifyPluginAsyncTypebox = async (app) => {
  const { keyLookup, config } = app.services;
  if (!benchWithout(config, 'cors')) await registerCors(app, keyLookup);
  app.decorateRequest('caller');
  await app.register(modelRoutes);
  await app.register(keyedRoutes);
};

async function registerCors(app: FastifyInstance, keyLookup: FastifyInstance['services']['keyLookup']) {
  await app.register(cors, {
    origin: async (origin: string | undefined) => origin !== undefined && keyLookup.isKnownOrigin(origin.toLowerCase()),
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ['X-API-Key', 'Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Apiframe-Request-Id', 'Retry-After'],
    maxAge: 600,
  });
}

const keyedRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', requireTeamKey(app.services.keyLookup));
  usePerKeyRateLimits(
    app,
    {
      generatePerMinute: app.services.config.RATE_LIMIT_GENERATE_PER_MINUTE,
      readsPerMinute: app.services.config.RATE_LIMIT_READS_PER_MINUTE,
    },
    app.services.store,
  );
  await app.register(jobOperationRoutes);
  await app.register(jobRoutes);
  await app.register(meRoutes);
  await app.register(ownUsageRoutes);
  await app.register(uploadRoutes);
  await app.register(loraRoutes);
  await app.register(assetRoutes);
  await app.register(ephemeralKeyRoutes);
};
