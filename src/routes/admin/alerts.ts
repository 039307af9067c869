// /admin/teams/{team}/alert-targets: where a team's budget alerts go; /admin/usage/alerts: the
// alerts raised, read with the same team reach as the other usage reports.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { TeamParams } from '../../schemas/admin.js';
import {
  AlertHistory,
  AlertHistoryQuery,
  AlertTargetList,
  AlertTargetParams,
  AlertTargetWithSecret,
  CreateAlertTargetBody,
} from '../../schemas/alerts.js';
import { ErrorResponse, ValidationErrorResponse } from '../../schemas/common.js';
import { teamInReach } from './usage.js';

export const alertRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { alerts } = app.services;
  const denied = { 400: ValidationErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 503: ErrorResponse };
  const tags = ['Admin: alerts'];

  app.post(
    '/teams/:id/alert-targets',
    {
      schema: {
        tags,
        summary: 'Add an alert target to a team',
        description:
          'Budget alerts of the team and its keys are sent here: `webhook` as signed JSON, `slack` as an ' +
          'incoming-webhook message. The URL passes the webhook guard (https, port 443, public addresses; ' +
          'WEBHOOK_ALLOW_HTTP and WEBHOOK_ALLOWED_HOSTS apply), now and at every delivery. The `secret` is in ' +
          'this response only.',
        params: TeamParams,
        body: CreateAlertTargetBody,
        response: { 201: AlertTargetWithSecret, 404: ErrorResponse, ...denied },
      },
    },
    async (request, reply) => reply.code(201).send(await alerts.create(request.params.id, request.body, request.actor)),
  );

  app.get(
    '/teams/:id/alert-targets',
    {
      schema: {
        tags,
        summary: "List a team's alert targets",
        params: TeamParams,
        response: { 200: AlertTargetList, 404: ErrorResponse, ...denied },
      },
    },
    async (request) => ({ targets: await alerts.list(request.params.id) }),
  );

  app.delete(
    '/teams/:id/alert-targets/:targetId',
    {
      schema: {
        tags,
        summary: 'Remove an alert target',
        description:
          'Deliveries still queued for it are recorded failed. Removing a target already gone is harmless (204).',
        params: AlertTargetParams,
        response: { 204: Type.Null(), 404: ErrorResponse, ...denied },
      },
    },
    async (request, reply) => {
      await alerts.remove(request.params.id, request.params.targetId, request.actor);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/usage/alerts',
    {
      config: { scope: 'usage:read' as const },
      schema: {
        tags: ['Admin: usage'],
        summary: 'Alert history',
        description:
          'Budget alerts raised (thresholds crossed, overruns), newest first, on the UTC days `from`..`to`, ' +
          "with each delivery's state. A `usage:read` key reads its own team only; `usage:read:all`, `admin` " +
          'and the admin token read every team.',
        querystring: AlertHistoryQuery,
        response: { 200: AlertHistory, ...denied },
      },
    },
    async (request) => {
      const team = teamInReach(request, request.query.team);
      return { alerts: await alerts.history({ ...request.query, ...(team && { team }) }) };
    },
  );
};
