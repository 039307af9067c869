// Apiframe-Request-Id on every answer whose request called Apiframe: Apiframe's own id of the
// last call, which the caller (or the operator) quotes to Apiframe's support. It reveals nothing
// of the account; the gateway's own id stays in x-request-id.
import fp from 'fastify-plugin';

export const apiframeRequestIdHeader = fp(
  async (app) => {
    const ids = app.services.apiframeRequestIds;
    app.addHook('onRequest', async (request) => ids.begin(request.id));
    app.addHook('onSend', async (request, reply) => {
      const apiframeRequestId = ids.last(request.id);
      if (apiframeRequestId) reply.header('apiframe-request-id', apiframeRequestId);
    });
    app.addHook('onResponse', async (request) => ids.end(request.id));
    app.addHook('onRequestAbort', async (request) => ids.end(request.id));
  },
  { name: 'apiframe-request-id', fastify: '5.x', dependencies: ['services'], decorators: { fastify: ['services'] } },
);
