// /admin/usage: finance reports. `usage:read:all`, `admin` and the admin token read every team's;
// `usage:read` reads its key's own team's only: leaving `team` out means that team, naming
// another is 403, and so is reconciling every team (that reads Apiframe's account-wide job list).
// Reports read the daily aggregates; events stream the raw ledger; reconciliation asks Apiframe
// about each job, gently and in parts, under its own rate limit.
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { stringify } from 'csv-stringify';
import { errors } from '../../errors.js';
import { perCallerRateLimit } from '../../plugins/rate-limits.js';
import { ErrorResponse, ValidationErrorResponse } from '../../schemas/common.js';
import {
  BudgetsReport,
  EventsPage,
  EventsQuery,
  ReconciliationQuery,
  ReconciliationReport,
  UsageQuery,
  UsageReport,
} from '../../schemas/usage.js';
import { sendStream } from '../raw-reply.js';
import { LEDGER_COLUMNS, sendUsageReport, usagePeriod } from '../usage-report-reply.js';

/** Reconciliation calls one caller may make a minute (the admin token is one caller). */
const RECONCILIATIONS_PER_MINUTE = 10;

/** The team a query covers: for a one-team reader its own (another is 403), else the one asked for, if any. */
export function teamInReach(request: FastifyRequest, asked: string | undefined): string | undefined {
  const own = request.usageTeam;
  if (own === null) return asked;
  if (asked !== undefined && asked !== own) throw new errors.UsageTeamDenied(own);
  return own;
}

export const usageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { keys, teams, usage, usageEvents: events, reconciliation, forecasts, clock } = app.services;
  const limitReconciliations = perCallerRateLimit(
    app,
    'reconciliation',
    RECONCILIATIONS_PER_MINUTE,
    (request) => request.actor.name,
  );
  const tags = ['Admin: usage'];
  const config = { scope: 'usage:read' as const };
  const refusals = { 400: ValidationErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 503: ErrorResponse };
  const reach =
    'A `usage:read` key reads its own team only (no `team`: its team; another team: 403); `usage:read:all`, `admin` and the admin token read every team.';

  app.get(
    '/usage',
    {
      config,
      schema: {
        tags,
        summary: 'Usage report',
        description:
          'Credits and job counts per accounting day (UTC), grouped by any of `team`, `key`, `model`, `day`, `modality` (comma-separated), with totals overall and by modality; `model=` and `modality=` keep one. ' +
          '`format=csv` streams RFC 4180 CSV with a header row (no totals row). Defaults: this month so far, grouped by team. ' +
          reach,
        querystring: UsageQuery,
        response: { 200: UsageReport, ...refusals },
      },
    },
    async (request, reply) => {
      const { from, to } = usagePeriod(request.query, clock());
      const team = teamInReach(request, request.query.team);
      const report = await usage.report({
        from,
        to,
        groupBy: request.query.groupBy.split(',') as never,
        ...(team && { team }),
        ...(request.query.key && { keyId: request.query.key }),
        ...(request.query.model && { model: request.query.model }),
        ...(request.query.modality && { modality: request.query.modality }),
      });
      return sendUsageReport(reply, report, request.query.format);
    },
  );

  app.get(
    '/usage/events',
    {
      config,
      schema: {
        tags,
        summary: 'Raw ledger entries',
        description:
          'Every reservation, release, settlement, refund and overrun, team by team in ledger order, filtered by accounting day, team and key. ' +
          '`json` pages with a cursor; `ndjson` and `csv` stream every matching entry. ' +
          reach,
        querystring: EventsQuery,
        response: { 200: EventsPage, ...refusals },
      },
    },
    async (request, reply) => {
      const { format, limit, cursor, key, team: asked, ...filters } = request.query;
      const team = teamInReach(request, asked);
      const query = { ...filters, ...(team && { team }), ...(key && { keyId: key }) };
      if (format === 'json') return events.page(query, limit, cursor);
      const matching = events.entries(query, cursor);
      const entries = Readable.from(
        (async function* () {
          for await (const { entry } of matching) yield entry;
        })(),
      );
      if (format === 'ndjson')
        return sendStream(
          reply,
          'application/x-ndjson',
          entries.map((entry: unknown) => `${JSON.stringify(entry)}\n`),
        );
      return sendStream(
        reply,
        'text/csv; charset=utf-8',
        entries.pipe(stringify({ header: true, columns: [...LEDGER_COLUMNS], escape_formulas: true })),
        'ledger.csv',
      );
    },
  );

  app.get(
    '/usage/budgets',
    {
      config,
      schema: {
        tags,
        summary: 'Budgets and their use',
        description:
          'Every team, and every active key that has a budget, with spend in the current window, what remains, ' +
          "and the forecast of the window's end: the spend projected at the pace of the last 7 complete days, " +
          `its band, the day the budget runs out at that pace and whether the projection exceeds it. ${reach}`,
        response: { 200: BudgetsReport, ...refusals },
      },
    },
    async (request) => {
      const team = teamInReach(request, undefined);
      const budgeted = [];
      let cursor: string | undefined;
      do {
        const page = await keys.list({
          status: 'active',
          limit: 200,
          ...(team && { team }),
          ...(cursor && { cursor }),
        });
        budgeted.push(...page.keys.filter((key) => key.budget !== null));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      const all = await teams.list();
      return forecasts.withForecasts(team ? all.filter((view) => view.id === team) : all, budgeted, team);
    },
  );

  app.get(
    '/usage/reconciliation',
    {
      config,
      preValidation: limitReconciliations,
      schema: {
        tags,
        summary: 'Reconcile with Apiframe',
        description:
          "Compares the gateway's settled credits for the period's jobs with each job's creditCost at Apiframe; lists every difference, " +
          'every job still unsettled, and (without `team`) every Apiframe job of the period the gateway never recorded. ' +
          'Each call makes at most `limit` requests to Apiframe (4 at a time) and reports its `progress`; pass `progress.next` as `cursor` ' +
          `to continue. One reconciliation runs at a time per gateway instance (another gets 429), and each caller may make ${RECONCILIATIONS_PER_MINUTE} calls a minute. ` +
          'A `usage:read` key reconciles its own team only and must name it (`team=`); reconciling every team needs `usage:read:all`, `admin` or the admin token.',
        querystring: ReconciliationQuery,
        response: { 200: ReconciliationReport, ...refusals, 429: ErrorResponse, 502: ErrorResponse },
      },
    },
    async (request) => {
      const { team: asked, limit, cursor } = request.query;
      if (request.usageTeam !== null && asked === undefined)
        throw new errors.UsageOrganisationDenied(request.usageTeam);
      const team = teamInReach(request, asked);
      return reconciliation.reconcile(
        { ...usagePeriod(request.query, clock()), ...(team && { team }), limit, ...(cursor && { cursor }) },
        request.id,
      );
    },
  );
};
