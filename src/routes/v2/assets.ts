// Assets (services/objects/assets.ts): registered for the team, read by the team only.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponse, ValidationErrorResponse, upstreamCallFailures } from '../../schemas/common.js';
import { AssetCreated, AssetIdParams, CreateAssetRequest, ProviderAsset } from '../../schemas/objects.js';
import { sendJsonText } from '../raw-reply.js';

const tags = ['Assets'];

export const assetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { assets } = app.services.objects;

  app.post(
    '/assets/create',
    {
      config: { limit: 'generate' },
      schema: {
        tags,
        summary: 'Register an asset with the upstream provider',
        description: "Checked against Apiframe's CreateAssetRequest; the asset is recorded as the team's.",
        body: CreateAssetRequest,
        response: { 201: AssetCreated, 400: ValidationErrorResponse, ...upstreamCallFailures },
      },
    },
    async (request, reply) => {
      const answer = await assets.create(request.caller, request.body, request.id);
      return sendJsonText(reply, answer.status, answer.body);
    },
  );

  app.get(
    '/assets/:assetId',
    {
      config: { limit: 'reads' },
      schema: {
        tags,
        summary: 'Get an upstream asset',
        description: "The provider's asset object, verbatim; only assets the team registered.",
        params: AssetIdParams,
        response: { 200: ProviderAsset, 400: ErrorResponse, 404: ErrorResponse, ...upstreamCallFailures },
      },
    },
    async (request, reply) => {
      const answer = await assets.read(request.caller, request.params.assetId, request.id);
      return sendJsonText(reply, answer.status, answer.body);
    },
  );
};
