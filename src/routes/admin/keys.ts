// /admin/keys: issue, list and revoke team keys.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errors } from '../../errors.js';
import { CreatedKey, CreateKeyBody, KeyIdParams, KeyList, KeyView } from '../../schemas/admin-keys.js';
import { ErrorResponse, ValidationErrorResponse } from '../../schemas/common.js';
import { createKeyAdmin } from '../../services/key-admin.js';

export const keyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const admin = createKeyAdmin(app.services.store, app.services.clock);
  const denied = { 401: ErrorResponse, 503: ErrorResponse };

  app.post(
    '/keys',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Issue a team key',
        description: 'The plaintext `key` is in this response only; the gateway stores its SHA-256.',
        body: CreateKeyBody,
        response: { 201: CreatedKey, 400: ValidationErrorResponse, ...denied },
      },
    },
    async (request, reply) => reply.code(201).send(await admin.create(request.body)),
  );

  app.get(
    '/keys',
    { schema: { tags: ['Admin'], summary: 'List team keys', response: { 200: KeyList, ...denied } } },
    async () => ({ keys: await admin.list() }),
  );

  app.delete(
    '/keys/:id',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Revoke a team key',
        params: KeyIdParams,
        response: { 200: KeyView, 404: ErrorResponse, ...denied },
      },
    },
    async (request) => {
      const revoked = await admin.revoke(request.params.id);
      if (!revoked) throw new errors.KeyNotFound();
      return revoked;
    },
  );
};
