// /admin/teams: teams and their shared budgets.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CreateTeamBody, TeamList, TeamParams, TeamView, UpdateTeamBody } from '../../schemas/admin.js';
import { ErrorResponse, ValidationErrorResponse } from '../../schemas/common.js';

export const teamRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { teams } = app.services;
  const denied = { 400: ValidationErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 503: ErrorResponse };
  const tags = ['Admin: teams'];

  app.post(
    '/teams',
    {
      schema: {
        tags,
        summary: 'Create a team',
        description: 'The budget is shared by all the team’s keys; `null` means unlimited and must be said explicitly.',
        body: CreateTeamBody,
        response: { 201: TeamView, 409: ErrorResponse, ...denied },
      },
    },
    async (request, reply) => reply.code(201).send(await teams.create(request.body, request.actor)),
  );

  app.get(
    '/teams',
    { schema: { tags, summary: 'List teams with their spend', response: { 200: TeamList, ...denied } } },
    async () => ({ teams: await teams.list() }),
  );

  app.get(
    '/teams/:id',
    {
      schema: {
        tags,
        summary: 'Get a team with its spend',
        params: TeamParams,
        response: { 200: TeamView, 404: ErrorResponse, ...denied },
      },
    },
    async (request) => teams.get(request.params.id),
  );

  app.patch(
    '/teams/:id',
    {
      schema: {
        tags,
        summary: 'Update a team',
        description: 'A budget lowered below the current spend blocks new work; nothing already spent is rewritten.',
        params: TeamParams,
        body: UpdateTeamBody,
        response: { 200: TeamView, 404: ErrorResponse, 409: ErrorResponse, ...denied },
      },
    },
    async (request) => teams.update(request.params.id, request.body, request.actor),
  );
};
