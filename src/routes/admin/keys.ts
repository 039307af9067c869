// /admin/keys: the team-key lifecycle, and minting and revoking ephemeral keys on a key's behalf.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  CreateKeyBody,
  EphemeralKeyParams,
  IdParams,
  KeyPage,
  KeyView,
  KeyWithSecret,
  ListKeysQuery,
  RotateKeyBody,
  UpdateKeyBody,
} from '../../schemas/admin.js';
import { ErrorResponse, ValidationErrorResponse } from '../../schemas/common.js';
import { EphemeralKeyWithSecret, MintEphemeralKeyBody } from '../../schemas/ephemeral-keys.js';

export const keyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { keys, ephemeralKeys } = app.services;
  const denied = { 400: ValidationErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 503: ErrorResponse };
  const missing = { 404: ErrorResponse, 409: ErrorResponse };
  const tags = ['Admin: keys'];

  app.post(
    '/keys',
    {
      schema: {
        tags,
        summary: 'Issue a team key',
        description:
          'The plaintext `key` is in this response only; the gateway stores its SHA-256. A team named for the first time is created with no budget.',
        body: CreateKeyBody,
        response: { 201: KeyWithSecret, ...denied },
      },
    },
    async (request, reply) => reply.code(201).send(await keys.create(request.body, request.actor)),
  );

  app.get(
    '/keys',
    {
      schema: {
        tags,
        summary: 'List team keys',
        description: 'Newest first, filtered by team and status, with cursor pagination.',
        querystring: ListKeysQuery,
        response: { 200: KeyPage, ...denied },
      },
    },
    async (request) => keys.list(request.query),
  );

  app.get(
    '/keys/:id',
    {
      schema: { tags, summary: 'Get a team key', params: IdParams, response: { 200: KeyView, ...denied, ...missing } },
    },
    async (request) => keys.get(request.params.id),
  );

  app.patch(
    '/keys/:id',
    {
      schema: {
        tags,
        summary: 'Update a team key',
        description:
          'Changes only the fields given; `null` clears a budget (unlimited), an expiry, a rate limit or a model restriction.',
        params: IdParams,
        body: UpdateKeyBody,
        response: { 200: KeyView, ...denied, ...missing },
      },
    },
    async (request) => keys.update(request.params.id, request.body, request.actor),
  );

  app.post(
    '/keys/:id/rotate',
    {
      schema: {
        tags,
        summary: 'Rotate a team key',
        description:
          'A new secret for the same key (same id, spend and history). The old secret keeps working for `gracePeriodSeconds`, then stops.',
        params: IdParams,
        body: RotateKeyBody,
        response: { 200: KeyWithSecret, ...denied, ...missing },
      },
    },
    async (request) => keys.rotate(request.params.id, request.body.gracePeriodSeconds ?? 0, request.actor),
  );

  app.post(
    '/keys/:id/ephemeral-keys',
    {
      schema: {
        tags,
        summary: 'Mint an ephemeral key for a team key',
        description:
          'What `POST /v2/ephemeral-keys` does for the key itself, done by an admin on its behalf (audited as the admin). The `key` is in this response only.',
        params: IdParams,
        body: MintEphemeralKeyBody,
        response: { 201: EphemeralKeyWithSecret, ...denied, ...missing },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await ephemeralKeys.mintFor(request.params.id, request.body, request.actor)),
  );

  app.delete(
    '/keys/:id/ephemeral-keys/:ephemeralId',
    {
      schema: {
        tags,
        summary: 'Revoke an ephemeral key of a team key',
        description:
          'What `DELETE /v2/ephemeral-keys/{id}` does for the key that minted it, done by an admin (audited as the admin).',
        params: EphemeralKeyParams,
        response: { 204: Type.Null({ description: 'Revoked.' }), ...denied, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      await ephemeralKeys.revoke(request.params.ephemeralId, request.params.id, request.actor);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/keys/:id',
    {
      schema: {
        tags,
        summary: 'Revoke a team key',
        description: 'Takes effect on every gateway instance at once. Revoking twice is harmless.',
        params: IdParams,
        response: { 200: KeyView, ...denied, ...missing },
      },
    },
    async (request) => keys.revoke(request.params.id, request.actor),
  );
};
