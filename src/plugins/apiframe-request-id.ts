// Apiframe-Request-Id on every answer whose request called Apiframe: Apiframe's own id of the
// last call, which the caller (or the operator) quotes to Apiframe's support. It reveals nothing
// of the account; the gateway's own id stays in x-request-id.
import fp from 'fastify-plugin';

export const apiframeRequestIdHeader = fp(
  async (app) => {
    const ids = app.services.apiframeRequestIds;
    app.addHook('onRequest', (request, reply, done) => {
      ids.begin(request.id);
      // Once answered, or once its client has left (which fastify's onRequestAbort can miss).
      reply.raw.once('close', () => ids.end(request.id));
      done();
    });
    app.addHook('onSend', (request, reply, _payload, done) => {
      const apiframeRequestId = ids.last(request.id);
      if (apiframeRequestId) reply.header('apiframe-request-id', apiframeRequestId);
      done();
    });
  },
  { name: 'apiframe-request-id', fastify: '5.x', dependencies: ['services'], decorators: { fastify: ['services'] } },
);
