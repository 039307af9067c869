// POST /v2/images/generate: validate, reserve the model's price, forward, hand back Apiframe's answer.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sendJsonText } from '../raw-reply.js';
import { errors, withExtras } from '../../errors.js';
import { ErrorResponse, InsufficientCreditsResponse, ValidationErrorResponse } from '../../schemas/common.js';
import { buildGenerateImageRequest, crossFieldErrors, JobAccepted } from '../../schemas/generate.js';

export const imageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { jobs, config } = app.services;
  app.post(
    '/images/generate',
    {
      config: { limit: 'generate' },
      schema: {
        tags: ['Images'],
        summary: 'Submit an image generation job',
        description: "Reserves the model's price from the key's and team's budgets, then forwards to Apiframe.",
        body: buildGenerateImageRequest(Object.keys(config.pricing)),
        response: {
          202: JobAccepted,
          400: ValidationErrorResponse,
          401: ErrorResponse,
          402: InsufficientCreditsResponse,
          403: ErrorResponse,
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
      if (Object.keys(details).length > 0) throw withExtras(new errors.ValidationFailed(), { details });
      const { allowedModels } = request.caller.key;
      if (allowedModels && !allowedModels.includes(request.body.model)) throw new errors.ModelNotAllowed(request.body.model);
      const answer = await jobs.submit(request.caller, request.body, request.id);
      return sendJsonText(reply, answer.status, answer.body);
    },
  );
};
