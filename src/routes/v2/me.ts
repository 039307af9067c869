// GET /v2/me in Apiframe's shape, describing the team key (never the upstream account):
// `team.credits` is what the key may still spend. With no budget on the key or its team, that is
// what the company account has left at Apiframe, the one figure of the account ever shown.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorResponse, Nullable } from '../../schemas/common.js';

const Me = Type.Object(
  {
    user: Type.Object({ id: Type.String(), email: Type.String(), role: Type.String() }),
    team: Type.Object({
      id: Type.String(),
      name: Type.String(),
      credits: Type.Integer({
        minimum: 0,
        description:
          "What the key may still spend: the tighter of its own and its team's budget or, with neither, what the company account has left at Apiframe (read at most every 30 s).",
      }),
      plan: Type.String(),
      customerId: Nullable(Type.String()),
    }),
    apiKey: Type.Object({ id: Type.String({ format: 'uuid' }), name: Type.String(), prefix: Type.String() }),
  },
  { $id: 'Me' },
);

export const meRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { spendable } = app.services;
  app.get(
    '/me',
    {
      config: { limit: 'reads' },
      schema: {
        tags: ['Account'],
        summary: 'Get the authenticated team key',
        response: {
          200: Me,
          401: ErrorResponse,
          429: ErrorResponse,
          502: ErrorResponse,
          503: ErrorResponse,
          504: ErrorResponse,
        },
      },
    },
    async (request) => {
      const { key } = request.caller;
      const credits = await spendable.of(request.caller, request.id);
      return {
        user: { id: key.id, email: `${key.id}@keys.apiframe-gateway.invalid`, role: 'MEMBER' },
        team: { id: key.team, name: key.team, credits, plan: 'gateway', customerId: null },
        apiKey: { id: key.id, name: key.name, prefix: key.prefix },
      };
    },
  );
};
