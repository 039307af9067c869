// GET /v2/usage: any team key reads its own usage; with the `usage:read` (or `usage:read:all`)
// scope, `scope=team` reads its whole team's.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errors } from '../../errors.js';
import { ErrorResponse, StringEnum, ValidationErrorResponse } from '../../schemas/common.js';
import { UsageQuery, UsageReport } from '../../schemas/usage.js';
import { sendUsageReport, usagePeriod } from '../usage-report-reply.js';

const OwnUsageQuery = Type.Object({
  ...Type.Omit(UsageQuery, ['team', 'key']).properties,
  scope: StringEnum(['key', 'team'] as const, {
    default: 'key',
    description: '`team` needs the `usage:read` or `usage:read:all` scope.',
  }),
});

export const ownUsageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { usage, clock } = app.services;
  app.get(
    '/usage',
    {
      config: { scope: 'any', limit: 'reads' },
      schema: {
        tags: ['Account'],
        summary: "The calling key's own usage",
        description:
          'The same report as `/admin/usage`, limited to this key (or, with `scope=team` and the `usage:read` scope, to its team).',
        querystring: OwnUsageQuery,
        response: {
          200: UsageReport,
          400: ValidationErrorResponse,
          401: ErrorResponse,
          403: ErrorResponse,
          429: ErrorResponse,
          503: ErrorResponse,
        },
      },
    },
    async (request, reply) => {
      const { key } = request.caller;
      const { scope, groupBy, format, model, modality } = request.query;
      const readsTeam = key.scopes.includes('usage:read') || key.scopes.includes('usage:read:all');
      if (scope === 'team' && !readsTeam) throw new errors.ScopeDenied('usage:read');
      const report = await usage.report({
        ...usagePeriod(request.query, clock()),
        groupBy: groupBy.split(',') as never,
        team: key.team,
        ...(scope === 'key' && { keyId: key.id }),
        ...(model && { model }),
        ...(modality && { modality }),
      });
      return sendUsageReport(reply, report, format);
    },
  );
};
