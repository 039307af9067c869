// POST /v2/ephemeral-keys: a server key holding `keys:mint` mints a short-lived key for one
// browser session (ephemeral keys themselves may not mint); DELETE /v2/ephemeral-keys/{id}
// revokes one it minted before its expiry (the session signed out).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { IdParams } from '../../schemas/admin.js';
import { ErrorResponse, ValidationErrorResponse } from '../../schemas/common.js';
import { EphemeralKeyWithSecret, MintEphemeralKeyBody } from '../../schemas/ephemeral-keys.js';

export const ephemeralKeyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { ephemeralKeys } = app.services;
  app.post(
    '/ephemeral-keys',
    {
      config: { scope: 'keys:mint', limit: 'reads' },
      schema: {
        tags: ['Ephemeral keys'],
        summary: 'Mint an ephemeral browser key',
        description:
          'A key for one browser session: it works until `expiresAt`, from its `allowedOrigins` only, for job submissions, ' +
          'its own jobs and `/v2/me`, and spends at most `budget.credits` within the calling key’s and its team’s budgets ' +
          '(its spend shows under the calling key). The `key` is in this response only. Needs the `keys:mint` scope.',
        body: MintEphemeralKeyBody,
        response: {
          201: EphemeralKeyWithSecret,
          400: ValidationErrorResponse,
          401: ErrorResponse,
          403: ErrorResponse,
          429: ErrorResponse,
          503: ErrorResponse,
        },
      },
    },
    async (request, reply) => {
      const { key, teamBudget } = request.caller;
      const actor = { name: `key:${key.id}`, requestId: request.id };
      return reply.code(201).send(await ephemeralKeys.mint(key, teamBudget, request.body, actor));
    },
  );

  app.delete(
    '/ephemeral-keys/:id',
    {
      config: { scope: 'keys:mint', limit: 'reads' },
      schema: {
        tags: ['Ephemeral keys'],
        summary: 'Revoke an ephemeral browser key',
        description:
          'Ends an ephemeral key the calling key minted, before its `expiresAt`, on every instance within a second ' +
          '(its jobs go on and are settled as usual). Another key’s, an expired or an unknown id is not found. ' +
          'Needs the `keys:mint` scope.',
        params: IdParams,
        response: {
          204: Type.Null({ description: 'Revoked.' }),
          400: ValidationErrorResponse,
          401: ErrorResponse,
          403: ErrorResponse,
          404: ErrorResponse,
          429: ErrorResponse,
          503: ErrorResponse,
        },
      },
    },
    async (request, reply) => {
      const { key } = request.caller;
      await ephemeralKeys.revoke(request.params.id, key.id, { name: `key:${key.id}`, requestId: request.id });
      return reply.code(204).send(null);
    },
  );
};
