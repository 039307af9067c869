// Multipart bodies are left unread by fastify for the routes that stream them on to Apiframe
// (no bodyLimit applies: the services hold them to Apiframe's limits as they stream; such routes
// set `streamedBody`, so UPLOAD_TIMEOUT_MS bounds their arrival instead of REQUEST_TIMEOUT_MS). A request
// refused before its body was read has its connection closed after the answer, so the rest of a
// large body is neither read nor waited for.
import type { FastifyInstance } from 'fastify';

export function leaveMultipartUnread(app: FastifyInstance): void {
  app.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null, undefined));
  app.addHook('onError', async (request, reply) => {
    if (!request.raw.readableEnded) reply.header('connection', 'close');
  });
}
