// One log line per request at `info`, written when it is answered: fastify's own two (its
// arrival, then its answer) were a quarter of a poll's CPU. The answer's line names the request
// as the arrival's did (method, URL, host, remote address); the arrival is still logged at `debug`.
// A request whose client leaves before its answer is logged then, as aborted: fastify logs no
// completion for it, and its onRequestAbort misses a client that leaves after its body was read.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

export class OneLinePerRequest extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return;
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const line = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

export const abortedRequestLogging = fp(
  async (app) => {
    app.addHook('onRequest', (request, reply, done) => {
      reply.raw.once('close', () => {
        if (!reply.raw.writableEnded) request.log.info({ req: request }, 'request aborted by its client');
      });
      done();
    });
  },
  { name: 'aborted-request-logging', fastify: '5.x' },
);
