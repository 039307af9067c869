// /admin/usage/statements/{team}: a team's month as a printable HTML page or as CSV, under the
// same reach as the other usage reports. The page is served under the dashboard's
// Content-Security-Policy, with the one addition of its own stylesheet's hash.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { TEAM_ID } from '../../schemas/admin.js';
import { ErrorResponse, StringEnum, ValidationErrorResponse } from '../../schemas/common.js';
import { statementCsv } from '../../services/statements/statement-csv.js';
import { STATEMENT_STYLE_SOURCE, statementHtml } from '../../services/statements/statement-html.js';
import { FINANCE_PAGE_POLICY } from '../dashboard.js';
import { teamInReach } from './usage.js';

const POLICY = `${FINANCE_PAGE_POLICY}; style-src ${STATEMENT_STYLE_SOURCE}`;

const StatementParams = Type.Object({ team: TEAM_ID });
const StatementQuery = Type.Object({
  month: Type.Optional(
    Type.String({
      pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$',
      errorMessage: 'must be a month, YYYY-MM',
      description: 'The calendar month (UTC), YYYY-MM; default: the current one.',
    }),
  ),
  format: StringEnum(['html', 'csv'] as const, { default: 'html' }),
});

export const statementRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { statements, clock } = app.services;

  app.get(
    '/usage/statements/:team',
    {
      config: { scope: 'usage:read' as const },
      schema: {
        tags: ['Admin: usage'],
        summary: "A team's monthly statement",
        description:
          'Totals by model and by key, refunds, overruns, the budget and its use, and the credits of each day: ' +
          'a printable HTML page (no script) or, with `format=csv`, the same lines as CSV. A month without spend ' +
          'is an empty statement. A `usage:read` key reads its own team only (another team: 403); ' +
          '`usage:read:all`, `admin` and the admin token read every team.',
        params: StatementParams,
        querystring: StatementQuery,
        response: {
          200: {
            description: 'The statement.',
            content: { 'text/html': { schema: Type.String() }, 'text/csv': { schema: Type.String() } },
          },
          400: ValidationErrorResponse,
          401: ErrorResponse,
          403: ErrorResponse,
          404: ErrorResponse,
          503: ErrorResponse,
        },
      },
    },
    async (request, reply) => {
      const team = teamInReach(request, request.params.team)!;
      const month = request.query.month ?? new Date(clock()).toISOString().slice(0, 7);
      const statement = await statements.statement(team, month);
      reply.header('x-content-type-options', 'nosniff');
      if (request.query.format === 'csv')
        return reply
          .header('content-disposition', `attachment; filename="statement-${team}-${month}.csv"`)
          .type('text/csv; charset=utf-8')
          .send(statementCsv(statement));
      return reply
        .header('content-security-policy', POLICY)
        .header('referrer-policy', 'no-referrer')
        .type('text/html; charset=utf-8')
        .send(statementHtml(statement));
    },
  );
};
