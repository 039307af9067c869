// One route per job operation (services/operations/), each served at Apiframe's own path from
// its descriptor: the pipeline validates, reserves the price, forwards and hands back Apiframe's
// answer; with an Idempotency-Key, retries replay the first answer instead of running again.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorResponse, InsufficientCreditsResponse, ValidationErrorResponse } from '../../schemas/common.js';
import { JobAccepted } from '../../schemas/generate.js';
import { JOB_OPERATIONS } from '../../services/operations/index.js';
import { sendJsonText } from '../raw-reply.js';

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'Retries with the same key and body within 24 h get the original answer and are not charged again.',
    }),
  ),
});

const responses = {
  202: JobAccepted,
  400: ValidationErrorResponse,
  401: ErrorResponse,
  402: InsufficientCreditsResponse,
  403: ErrorResponse,
  409: ErrorResponse,
  413: ErrorResponse,
  415: ErrorResponse,
  429: ErrorResponse,
  502: ErrorResponse,
  503: ErrorResponse,
  504: ErrorResponse,
};

/** Registered under the `/v2` prefix. */
export const jobOperationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { submissions } = app.services;
  for (const operation of JOB_OPERATIONS) {
    const { tags, summary, description } = operation;
    app.post(
      operation.path.slice('/v2'.length),
      {
        config: { limit: 'generate', countsLimit: true, ephemeral: true },
        schema: {
          tags,
          summary,
          description,
          headers: IdempotencyHeaders,
          body: operation.body(),
          response: responses,
        },
      },
      async (request, reply) => {
        const idempotencyKey = request.headers['idempotency-key'];
        const { caller, body, id, requestLimit } = request;
        const answer = await submissions.submit(operation, caller, body, id, idempotencyKey, requestLimit ?? undefined);
        if (answer.replayed) reply.header('idempotent-replayed', 'true');
        return sendJsonText(reply, answer.status, answer.body);
      },
    );
  }
};
