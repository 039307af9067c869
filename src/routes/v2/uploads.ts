// POST /v2/uploads: the caller's multipart body streamed on to Apiframe (services/objects/
// uploads.ts), free of credits, drawing on the key's submissions rate limit.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponse, ValidationErrorResponse, upstreamCallFailures } from '../../schemas/common.js';
import { Upload } from '../../schemas/objects.js';
import { sendJsonText } from '../raw-reply.js';
import { leaveMultipartUnread } from './multipart-body.js';

export const uploadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { uploads } = app.services.objects;
  leaveMultipartUnread(app);
  app.post(
    '/uploads',
    {
      config: { limit: 'generate', streamedBody: true },
      schema: {
        tags: ['Uploads'],
        summary: 'Upload a file to short-lived CDN storage',
        description:
          'Multipart with one `file` (PNG, JPEG, WebP, GIF, MP4, WebM, MOV, MP3, WAV, OGG, M4A; 25 MB an image or ' +
          'audio file, 50 MB a video). Streamed to Apiframe as it arrives, its kind sniffed from its first bytes; ' +
          'free of credits. The upload is recorded as your team’s: only your team may name its id or URL in a job.',
        consumes: ['multipart/form-data'],
        response: {
          201: Upload,
          400: ValidationErrorResponse,
          413: ErrorResponse,
          ...upstreamCallFailures,
        },
      },
    },
    async (request, reply) => {
      const answer = await uploads.upload(request.caller, request.raw, request.headers['content-type'], request.id);
      return sendJsonText(reply, answer.status, answer.body);
    },
  );
};
