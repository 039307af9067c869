// POST /v2/images/generate: validate, reserve the model's price, forward, hand back Apiframe's
// answer; with an Idempotency-Key, retries replay the first answer instead of running again.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sendJsonText } from '../raw-reply.js';
import { errors, invalidInput } from '../../errors.js';
import { Type } from '@sinclair/typebox';
import { ErrorResponse, InsufficientCreditsResponse, ValidationErrorResponse } from '../../schemas/common.js';
import { createIdempotency } from '../../services/idempotency.js';
import type { CallerWebhook } from '../../domain/jobs.js';
import { buildGenerateImageRequest, crossFieldErrors, JobAccepted } from '../../schemas/generate.js';

export const imageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { jobs, config, store, webhooks } = app.services;
  const idempotency = createIdempotency(store, { pendingTtlMs: config.reservationLeaseMs });
  app.post(
    '/images/generate',
    {
      config: { limit: 'generate' },
      schema: {
        tags: ['Images'],
        summary: 'Submit an image generation job',
        description: "Reserves the model's price from the key's and team's budgets, then forwards to Apiframe.",
        headers: Type.Object({
          'idempotency-key': Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 255,
              description: 'Retries with the same key and body within 24 h get the original answer and are not charged again.',
            }),
          ),
        }),
        body: buildGenerateImageRequest(Object.keys(config.pricing)),
        response: {
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
        },
      },
    },
    async (request, reply) => {
      const details = crossFieldErrors(request.body);
      if (Object.keys(details).length > 0) throw invalidInput(details);
      const { caller, body, id: requestId } = request;
      if (caller.key.allowedModels && !caller.key.allowedModels.includes(body.model)) throw new errors.ModelNotAllowed(body.model);
      // Apiframe calls the gateway back; the caller's own URL stays with the job.
      let upstreamBody = body;
      let webhook: CallerWebhook | undefined;
      if (body.webhookUrl !== undefined) {
        await webhooks.checkCallerUrl(body.webhookUrl);
        webhook = { url: body.webhookUrl, events: body.webhookEvents ?? [] };
        upstreamBody = { ...body, webhookUrl: webhooks.relayUrl(caller.key.team) };
      }
      const idempotencyKey = request.headers['idempotency-key'];
      if (idempotencyKey === undefined) {
        const answer = await jobs.submit(caller, upstreamBody, requestId, { ...(webhook && { webhook }) });
        return sendJsonText(reply, answer.status, answer.body);
      }
      const answer = await idempotency.run({ team: caller.key.team, keyId: caller.key.id, idempotencyKey, body }, (upstreamKey) =>
        jobs.submit(caller, upstreamBody, requestId, { idempotencyKey: upstreamKey, ...(webhook && { webhook }) }),
      );
      if (answer.replayed) reply.header('idempotent-replayed', 'true');
      return sendJsonText(reply, answer.status, answer.body);
    },
  );
};
