// A faithful stand-in for Apiframe v2, as a real HTTP server: every job-submitting operation
// (POST /v2/images/{generate,upscale,edit,background-remove,midjourney/action},
// /v2/videos/{generate,upscale,edit}, /v2/music/{generate,suno/action}) is checked like Apiframe's
// and accepted with 202; jobs progress QUEUED → PROCESSING → COMPLETED (or FAILED, CANCELLED) over
// time, read through GET /v2/jobs/:id and GET /v2/jobs, with Apiframe's error shapes. GET /v2/models
// answers a small catalogue (model-catalogue.ts) whose rules price each job by what it asks for.
// Uploads (POST /v2/uploads), LoRA training (/v2/loras) and assets (/v2/assets) are the company
// account's: the simulator, like Apiframe, cannot tell the gateway's teams apart.
// The demo, the tests and the benchmarks run against it over loopback.
//
// Behaviour on demand travels inside the body, so it passes through the gateway unchanged: in the
// prompt, or for operations without one in any other string (percent-encoded in a URL's query
// string, e.g. `"image": "https://example.com/cat.png?sim=%5Bsim%3Afail%5D"`; see directives.ts):
//   [sim:fail]        the job ends FAILED (creditCost 0)
//   [sim:cancel]      the job ends CANCELLED (creditCost 0)
//   [sim:never]       the job never finishes
//   [sim:status=NNN]  the submission is answered with that HTTP status (400/401/402/429/500/503)
//   [sim:latency=MS]  the submission and every poll of the job wait MS first
//   [sim:cost=N]      the completed job reports creditCost N
//   [sim:nocost]      the finished job reports creditCost null (the spec allows it)
//   [sim:reset]       the submission's connection is reset (no job is created)
//   [sim:garbage]     the job is created but the 202 body is malformed JSON
//   [sim:slowbody=MS] the job is created, the 202 headers are sent, the body MS later
//   [sim:lost]        the job is created, then the connection is reset before the 202 is sent
//   [sim:pollfail=N]  the first N polls of the job answer 500
//   [sim:fail] in a LoRA's name: its training ends FAILED and its 2 credits are refunded
//   [sim:garbage], [sim:latency=MS] in a LoRA's name: created and charged, its 202 cut short or late
//   [sim:then]        the directives after it apply not to this job but to every Midjourney or Suno
//                     action on it (an upsample has no text of its own to carry them)
// A job submitted with a webhookUrl gets its terminal event posted there, signed like Apiframe's.
// A submission with an Idempotency-Key already used gets the job that key created, at once and
// whatever its directives (one arriving while the first is handled waits for it).
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { registerAssetRoutes } from './asset-routes.js';
import { sendError } from './error-replies.js';
import { registerJobRoutes } from './job-routes.js';
import { registerCatalogueRoute } from './model-catalogue.js';
import { accountCharges, statusOf } from './job-view.js';
import { registerLoraRoutes } from './lora-routes.js';
import { acceptMultipart } from './multipart.js';
import type { RecordedRequest, Simulator, SimulatorOptions, SimulatorState } from './simulator-types.js';
import { registerSubmissionRoutes } from './submission-route.js';
import { registerUploadRoute } from './upload-routes.js';

export type { RecordedRequest, Simulator, SimulatorOptions } from './simulator-types.js';

/** Routes Apiframe answers without a key. */
const PUBLIC_ROUTES = new Set(['GET /v2/models']);

export async function startSimulator(options: SimulatorOptions, port = 0, host = '127.0.0.1'): Promise<Simulator> {
  const state: SimulatorState = {
    options,
    jobDurationMs: options.jobDurationMs ?? 1_000,
    jobs: new Map(),
    idempotent: new Map(),
    keysInFlight: new Map(),
    webhooksSent: [],
    uploads: new Map(),
    loras: new Map(),
    assets: new Map(),
  };
  let multipartBytes = 0;
  const requests: RecordedRequest[] = [];
  let forcedStatus: number | null = null;
  const inFlight = new Map<string, { now: number; peak: number }>();

  // A Midjourney inpaint's mask may be 12 MB of base64.
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  acceptMultipart(app, (bytes) => {
    multipartBytes += bytes;
  });

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
  // Apiframe names each request it answers, for its support; the id is its own, never the caller's.
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('x-request-id', `req_${randomUUID()}`);
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
    if (request.headers['x-api-key'] !== options.apiKey && !PUBLIC_ROUTES.has(routeOf(request))) {
      return sendError(reply, 401);
    }
  });

  registerSubmissionRoutes(app, state);
  registerCatalogueRoute(app);
  registerJobRoutes(app, state);
  registerUploadRoute(app, state);
  registerLoraRoutes(app, state);
  registerAssetRoutes(app, state);

  const address = await app.listen({ port, host });
  return {
    url: address,
    requests,
    webhooksSent: state.webhooksSent,
    chargedCredits: () => accountCharges(state),
    multipartBytesReceived: () => multipartBytes,
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
