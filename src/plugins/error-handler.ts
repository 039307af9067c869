// One place shapes every error: Apiframe's envelope {"error", "details"?} plus a stable
// `code`. Client mistakes keep their 4xx; anything unexpected is logged and answered with a
// bare 500 that reveals nothing.
import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { errorBody, errors, invalidInput, type ErrorExtras } from '../errors.js';
import { validationDetails } from './validation.js';

type GatewayError = FastifyError & ErrorExtras;

/** Fastify's own client errors, re-expressed in the gateway's table. */
function fromFastify(error: FastifyError, bodyLimit: number): GatewayError | null {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new errors.BodyTooLarge(bodyLimit);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new errors.UnsupportedMediaType();
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new errors.InvalidJson();
  }
  if (error instanceof SyntaxError) return new errors.InvalidJson();
  return null;
}

async function errorHandler(app: FastifyInstance, { bodyLimit }: { bodyLimit: number }): Promise<void> {
  app.setErrorHandler<GatewayError>((raw, request, reply) => {
    const error: GatewayError = raw.validation
      ? invalidInput(validationDetails(raw.validation as ErrorObject[]))
      : raw.code?.startsWith('FST_') || raw instanceof SyntaxError
        ? (fromFastify(raw, bodyLimit) ?? raw)
        : raw;
    const status = error.statusCode ?? 500;

    if (status >= 500 && !error.code?.startsWith('GW_')) {
      request.log.error({ err: error }, 'unexpected error');
      return reply.code(500).send(errorBody(new errors.Internal()));
    }
    if (status >= 500) request.log.warn({ err: error.cause ?? error, code: error.code }, error.message);

    const { details, creditsRequired, creditsAvailable, retryAfter } = error;
    if (retryAfter !== undefined) reply.header('retry-after', retryAfter);
    return reply.code(status).send({
      ...errorBody(error),
      ...(details && { details }),
      ...(creditsRequired !== undefined && { creditsRequired, creditsAvailable }),
    });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody(new errors.RouteNotFound(request.method, request.url.split('?')[0])));
  });
}

export const errorHandling = fp(errorHandler, { name: 'error-handling', fastify: '5.x' });
