// POST /webhooks/apiframe/{team}: where Apiframe reports job events. The body is kept as the
// bytes it arrived as, for the webhook receiver to check their signature before anything else.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errors } from '../errors.js';
import { TEAM_ID } from '../schemas/admin.js';
import { ErrorResponse } from '../schemas/common.js';

export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { webhookReceiver } = app.services;
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post(
    '/apiframe/:team',
    {
      schema: {
        tags: ['Webhooks'],
        summary: 'Receive a job event from Apiframe',
        description:
          'Verified with X-Webhook-Signature (HMAC-SHA256 of the raw body keyed with SHA-256 of the Apiframe key).',
        params: Type.Object({ team: TEAM_ID }),
        response: {
          200: Type.Object({ received: Type.Boolean() }),
          400: ErrorResponse,
          401: ErrorResponse,
          404: ErrorResponse,
          503: ErrorResponse,
        },
      },
    },
    async (request) => {
      const raw = request.body as unknown as Buffer;
      if (!Buffer.isBuffer(raw)) throw new errors.WebhookSignature();
      const signature = request.headers['x-webhook-signature'];
      await webhookReceiver.receive({
        team: request.params.team,
        raw,
        signature: typeof signature === 'string' ? signature : undefined,
        requestId: request.id,
      });
      return { received: true };
    },
  );
};
