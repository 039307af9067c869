// GET /v2/me in Apiframe's shape, describing the team key (never the upstream account):
// `team.credits` is what the key may still spend. With no budget on the key or its team, that is
// what the company account has left at Apiframe, the one figure of the account ever shown.
// `team.id` is the team's UUID and `team.name` its slug; the key stands in for the user.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorResponse, Nullable } from '../../schemas/common.js';

const Me = Type.Object(
  {
    user: Type.Object({
      id: Type.String({ format: 'uuid' }),
      email: Type.String({ format: 'email' }),
      role: Type.String(),
    }),
    team: Type.Object({
      id: Type.String({ format: 'uuid' }),
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
  const { spendable, teams } = app.services;
  app.get(
    '/me',
    {
      config: { limit: 'reads', ephemeral: true },
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
      const { key, ephemeral } = request.caller;
      const [credits, teamId] = await Promise.all([spendable.of(request.caller, request.id), teams.uuidOf(key.team)]);
      return {
        user: { id: key.id, email: `${key.id}@keys.apiframe-gateway.invalid`, role: 'MEMBER' },
        team: { id: teamId, name: key.team, credits, plan: 'gateway', customerId: null },
        apiKey: ephemeral
          ? { id: ephemeral.id, name: `ephemeral key of ${key.name}`, prefix: ephemeral.prefix }
          : { id: key.id, name: key.name, prefix: key.prefix },
      };
    },
  );
};
