// Each request must arrive whole within its route's deadline: REQUEST_TIMEOUT_MS, or
// UPLOAD_TIMEOUT_MS for the routes that stream a multipart body on to Apiframe (`streamedBody`),
// which take as long as a 50 MB file takes to send. Node's requestTimeout is one value for the
// whole server, so the server is given the longer one (requestTimeoutForServer) and this hook holds
// each request to its own; a late one is answered 408 and closed exactly as Node would.
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route streams its multipart body on to Apiframe: UPLOAD_TIMEOUT_MS applies, not REQUEST_TIMEOUT_MS. */
    streamedBody?: boolean;
  }
}

export interface RequestDeadlines {
  /** REQUEST_TIMEOUT_MS (0: none). */
  requestMs: number;
  /** UPLOAD_TIMEOUT_MS (0: none). */
  uploadMs: number;
}

/** Node's requestTimeout: the longest deadline of any route (0, none, when one route has none). */
export function requestTimeoutForServer({ requestMs, uploadMs }: RequestDeadlines): number {
  return requestMs === 0 || uploadMs === 0 ? 0 : Math.max(requestMs, uploadMs);
}

export const requestDeadlines = fp<RequestDeadlines>(
  async (app, deadlines) => {
    app.addHook('onRequest', (request, reply, done) => {
      const ms = request.routeOptions.config.streamedBody ? deadlines.uploadMs : deadlines.requestMs;
      if (ms === 0 || request.raw.complete) return done();
      const timer = setTimeout(() => {
        if (request.raw.complete || reply.raw.headersSent) return;
        // fastify's clientError handler writes Node's 408 and destroys the socket, the body with it.
        const late = Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
        app.server.emit('clientError', late, request.raw.socket);
      }, ms);
      reply.raw.once('close', () => clearTimeout(timer));
      done();
    });
  },
  { name: 'request-deadlines', fastify: '5.x' },
);
