// GET /v2/models: public like Apiframe's (no key needed), rate-limited per client address. A key,
// when one is presented, must be valid and narrows the list to its allowedModels.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { perCallerRateLimit } from '../../plugins/rate-limits.js';
import { authenticateKey, presentedKey } from '../../plugins/team-auth.js';
import { ErrorResponse, ValidationErrorResponse } from '../../schemas/common.js';
import { ModelCatalog, ModelsQuery } from '../../schemas/models.js';

export const modelRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { models, keyLookup, config } = app.services;
  const perMinute = config.RATE_LIMIT_READS_PER_MINUTE;
  const limitByAddress = perCallerRateLimit(app, 'models', perMinute, (request) => request.ip);
  app.get(
    '/models',
    {
      ...(perMinute > 0 && { preValidation: limitByAddress }),
      schema: {
        tags: ['Models'],
        summary: "List the models this gateway offers, from Apiframe's catalogue",
        description:
          "Public, like Apiframe's. Only the models the gateway offers (ENABLED_MODELS, PRICING_FILE) and prices " +
          "(the operator's rules, else Apiframe's catalogue) are listed; a team key, if presented, must be valid and " +
          "narrows the list to its `allowedModels`. Apiframe's entries are unchanged, each with the gateway's price " +
          'rule (`gatewayPrice`) added. Read from Apiframe at most once a minute per instance.',
        querystring: ModelsQuery,
        response: {
          200: ModelCatalog,
          400: ValidationErrorResponse,
          401: ErrorResponse,
          403: ErrorResponse,
          429: ErrorResponse,
          502: ErrorResponse,
          504: ErrorResponse,
        },
      },
    },
    async (request) => {
      const secret = presentedKey(request);
      const caller = secret ? await authenticateKey(keyLookup, request, secret, []) : undefined;
      const filter = { ...request.query, allowedModels: caller?.key.allowedModels ?? null };
      return { models: await models.list(filter, request.id) };
    },
  );
};
