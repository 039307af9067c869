// GET /v2/jobs/{id} and GET /v2/jobs: only the caller's team's jobs are visible; any other id
// is "not found", exactly like an unknown one, so ids cannot be probed.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Caller } from '../../services/caller.js';
import { sendJsonText } from '../raw-reply.js';
import { ErrorResponse, ValidationErrorResponse } from '../../schemas/common.js';
import { Job, JobIdParams, JobList, ListJobsQuery } from '../../schemas/jobs.js';

export const jobRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { polling, listing, priceList } = app.services;
  const errorResponses = {
    401: ErrorResponse,
    429: ErrorResponse,
    502: ErrorResponse,
    503: ErrorResponse,
    504: ErrorResponse,
  };

  /** The models and actions the caller may run: offered, priced, and among its key's allowedModels. */
  async function runnableModels({ key }: Caller): Promise<string[]> {
    const offered = (await priceList.list()).filter((entry) => entry.rule !== null).map((entry) => entry.name);
    return key.allowedModels ? offered.filter((name) => key.allowedModels!.includes(name)) : offered;
  }

  app.get(
    '/jobs/:id',
    {
      config: { limit: 'reads', countsLimit: true, ephemeral: true },
      schema: {
        tags: ['Jobs'],
        summary: 'Get a job',
        description:
          'Forwarded to Apiframe when the job belongs to the caller’s team; settles its credits once it is terminal.',
        params: JobIdParams,
        response: { 200: Job, 400: ValidationErrorResponse, 404: ErrorResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { caller, params, id, requestLimit } = request;
      const answer = await polling.poll(caller, params.id, id, requestLimit ?? undefined);
      return sendJsonText(reply, answer.status, answer.body);
    },
  );

  app.get(
    '/jobs',
    {
      config: { limit: 'reads', ephemeral: true },
      schema: {
        tags: ['Jobs'],
        summary: 'List jobs',
        description: "The caller's jobs (`scope=team`: its team's), newest first, with cursor pagination.",
        querystring: ListJobsQuery,
        response: { 200: JobList, 400: ValidationErrorResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { include_models: includeModels, ...query } = request.query;
      const page = await listing.list(request.caller, query, request.id);
      const models =
        includeModels === 'true' ? `,"models":${JSON.stringify(await runnableModels(request.caller))}` : '';
      const nextCursor = JSON.stringify(page.nextCursor);
      return sendJsonText(
        reply,
        200,
        `{"jobs":[${page.jobs.join(',')}],"nextCursor":${nextCursor},"hasMore":${page.hasMore}${models}}`,
      );
    },
  );
};
