// LoRA training and the team's LoRAs (services/objects/loras.ts): POST /v2/loras streams the
// training images on to Apiframe and costs 2 credits (refunded if training fails); the reads and
// DELETE see only the team's own LoRAs.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  ErrorResponse,
  InsufficientCreditsResponse,
  ValidationErrorResponse,
  upstreamCallFailures,
} from '../../schemas/common.js';
import { Lora, LoraCreated, LoraIdParams, LoraList, LorasQuery } from '../../schemas/objects.js';
import { sendJsonText } from '../raw-reply.js';
import { leaveMultipartUnread } from './multipart-body.js';

const tags = ['LoRAs'];

export const loraRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { loras } = app.services.objects;
  leaveMultipartUnread(app);

  app.post(
    '/loras',
    {
      config: { limit: 'generate', streamedBody: true },
      schema: {
        tags,
        summary: 'Create and train a Flux LoRA',
        description:
          'Multipart: `name`, 15-30 `images` (JPEG, PNG or WebP; 10 MB each, 100 MB in all) and the metadata ' +
          "Apiframe's spec lists, streamed on as they arrive. Reserves 2 credits before anything is sent, charged " +
          'when Apiframe accepts and refunded if the training fails. No `webhookUrl`: poll GET /v2/loras/{id}.',
        consumes: ['multipart/form-data'],
        response: {
          202: LoraCreated,
          400: ValidationErrorResponse,
          402: InsufficientCreditsResponse,
          413: ErrorResponse,
          ...upstreamCallFailures,
        },
      },
    },
    async (request, reply) => {
      const answer = await loras.train(request.caller, request.raw, request.headers['content-type'], request.id);
      return sendJsonText(reply, answer.status, answer.body);
    },
  );

  app.get(
    '/loras',
    {
      config: { limit: 'reads' },
      schema: {
        tags,
        summary: "List the team's LoRAs",
        description:
          "The team's own LoRAs, newest first. The gateway filters Apiframe's account-wide pages: a page may hold " +
          'fewer than `limit` LoRAs while `nextCursor` is not null; only a null `nextCursor` means the end.',
        querystring: LorasQuery,
        response: { 200: LoraList, 400: ValidationErrorResponse, ...upstreamCallFailures },
      },
    },
    async (request, reply) => {
      const page = await loras.list(request.caller, request.query, request.id);
      return sendJsonText(reply, 200, JSON.stringify(page));
    },
  );

  app.get(
    '/loras/:id',
    {
      config: { limit: 'reads' },
      schema: {
        tags,
        summary: 'Get a single LoRA',
        description: "Only the team's own LoRAs; a failed training seen here is refunded (once).",
        params: LoraIdParams,
        response: { 200: Lora, 400: ValidationErrorResponse, 404: ErrorResponse, ...upstreamCallFailures },
      },
    },
    async (request, reply) => {
      const answer = await loras.read(request.caller, request.params.id, request.id);
      return sendJsonText(reply, answer.status, answer.body);
    },
  );

  app.delete(
    '/loras/:id',
    {
      config: { limit: 'generate' },
      schema: {
        tags,
        summary: 'Archive a LoRA',
        description: "Only the team's own LoRAs. Idempotent, like Apiframe's.",
        params: LoraIdParams,
        response: {
          204: Type.Null({ description: 'Archived.' }),
          400: ValidationErrorResponse,
          404: ErrorResponse,
          ...upstreamCallFailures,
        },
      },
    },
    async (request, reply) => {
      await loras.archive(request.caller, request.params.id, request.id);
      return reply.code(204).send(null);
    },
  );
};
