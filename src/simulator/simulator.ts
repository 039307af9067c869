// A faithful stand-in for Apiframe v2, as a real HTTP server: jobs are accepted with 202 and
// progress QUEUED → PROCESSING → COMPLETED (or FAILED, CANCELLED) over time, with Apiframe's
// error shapes. The demo, the tests and the benchmarks run against it over loopback.
//
// Behaviour on demand travels inside the prompt, so it passes through the gateway unchanged:
//   [sim:fail]        the job ends FAILED (creditCost 0)
//   [sim:cancel]      the job ends CANCELLED (creditCost 0)
//   [sim:never]       the job never finishes
//   [sim:status=NNN]  the submission is answered with that HTTP status (400/401/402/429/500/503)
//   [sim:latency=MS]  the submission and every poll of the job wait MS first
//   [sim:cost=N]      the completed job reports creditCost N
//   [sim:reset]       the submission's connection is reset (no job is created)
//   [sim:garbage]     the job is created but the 202 body is malformed JSON
//   [sim:slowbody=MS] the job is created, the 202 headers are sent, the body MS later
//   [sim:pollfail=N]  the first N polls of the job answer 500
// A job submitted with a webhookUrl gets its terminal event posted there, signed like Apiframe's.
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { sendError } from './error-replies.js';
import { registerJobRoutes } from './job-routes.js';
import { chargedCredits, statusOf } from './job-view.js';
import type { RecordedRequest, Simulator, SimulatorOptions, SimulatorState } from './simulator-types.js';
import { registerSubmissionRoute } from './submission-route.js';

export type { RecordedRequest, Simulator, SimulatorOptions } from './simulator-types.js';

export async function startSimulator(options: SimulatorOptions, port = 0, host = '127.0.0.1'): Promise<Simulator> {
  const state: SimulatorState = {
    options,
    jobDurationMs: options.jobDurationMs ?? 1_000,
    jobs: new Map(),
    idempotent: new Map(),
    webhooksSent: [],
  };
  const requests: RecordedRequest[] = [];
  let forcedStatus: number | null = null;
  const inFlight = new Map<string, { now: number; peak: number }>();

  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  const routeOf = (request: FastifyRequest) => `${request.method} ${request.routeOptions.url ?? ''}`;
  app.addHook('onRequest', async (request) => {
    const count = inFlight.get(routeOf(request)) ?? { now: 0, peak: 0 };
    count.now += 1;
    count.peak = Math.max(count.peak, count.now);
    inFlight.set(routeOf(request), count);
  });
  app.addHook('onResponse', async (request) => {
    inFlight.get(routeOf(request))!.now -= 1;
  });

  app.addHook('preHandler', async (request, reply) => {
    if (options.recordRequests !== false) {
      requests.push({
        method: request.method,
        url: request.url,
        headers: { ...request.headers },
        body: typeof request.body === 'string' ? request.body : '',
      });
    }
    if (forcedStatus !== null) return sendError(reply, forcedStatus);
    if (request.headers['x-api-key'] !== options.apiKey) return sendError(reply, 401);
  });

  registerSubmissionRoute(app, state);
  registerJobRoutes(app, state);

  const address = await app.listen({ port, host });
  return {
    url: address,
    requests,
    webhooksSent: state.webhooksSent,
    chargedCredits: () => chargedCredits(state.jobs.values(), state.jobDurationMs),
    jobStatus: (id) => {
      const job = state.jobs.get(id);
      return job && statusOf(job, state.jobDurationMs).status;
    },
    peakInFlight: (route) => inFlight.get(route)?.peak ?? 0,
    failAll: (status) => {
      forcedStatus = status;
    },
    close: () => app.close(),
  };
}
