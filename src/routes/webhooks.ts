// POST /webhooks/apiframe/{team}: where Apiframe reports job events. The raw body's signature
// is checked before anything else; a verified terminal event settles the job at once, and the
// event is relayed to the caller's own webhookUrl in the background.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errors } from '../errors.js';
import { TEAM_ID } from '../schemas/admin.js';
import { ErrorResponse } from '../schemas/common.js';
import { jobFromWebhookEvent } from '../services/job-bodies.js';

type WebhookEvent = Readonly<Record<string, unknown>>;

export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, settlement, webhooks } = app.services;
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post(
    '/apiframe/:team',
    {
      schema: {
        tags: ['Webhooks'],
        summary: 'Receive a job event from Apiframe',
        description: 'Verified with X-Webhook-Signature (HMAC-SHA256 of the raw body keyed with SHA-256 of the Apiframe key).',
        params: Type.Object({ team: TEAM_ID }),
        response: { 200: Type.Object({ received: Type.Boolean() }), 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      const raw = request.body as unknown as Buffer;
      const signature = request.headers['x-webhook-signature'];
      if (!Buffer.isBuffer(raw) || !webhooks.verify(raw, typeof signature === 'string' ? signature : undefined)) {
        throw new errors.WebhookSignature();
      }
      const text = raw.toString('utf8');
      let event: WebhookEvent;
      try {
        event = JSON.parse(text) as WebhookEvent;
      } catch {
        throw new errors.InvalidJson();
      }
      if (typeof event.jobId !== 'string' || typeof event.event !== 'string') throw new errors.InvalidJson();
      const job = await store.getJob(request.params.team, event.jobId);
      if (!job) throw new errors.JobNotFound();
      await settlement.settleIfTerminal(job, text, request.id, jobFromWebhookEvent(job, event));
      if (job.webhook) await webhooks.relay(job, job.webhook, event.event, text);
      return { received: true };
    },
  );
};
