// /admin/usage: finance reports (scope `usage:read`, or admin). Reports read the daily
// aggregates; events stream the raw ledger; reconciliation asks Apiframe about every job.
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { stringify } from 'csv-stringify';
import { KeyView, TeamView } from '../../schemas/admin.js';
import { ErrorResponse, ValidationErrorResponse } from '../../schemas/common.js';
import { EventsPage, EventsQuery, ReconciliationQuery, UsageQuery, UsageReport } from '../../schemas/usage.js';
import { createReconciliation } from '../../services/reconciliation.js';
import { createUsageEvents } from '../../services/usage-events.js';
import { sendStream } from '../raw-reply.js';
import { LEDGER_COLUMNS, sendUsageReport, usagePeriod } from '../usage-report-reply.js';

export const usageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, upstream, keys, teams, usage, clock } = app.services;
  const events = createUsageEvents(store);
  const reconciliation = createReconciliation(store, upstream);
  const tags = ['Admin: usage'];
  const config = { scope: 'usage:read' as const };
  const errors = { 400: ValidationErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 503: ErrorResponse };

  app.get(
    '/usage',
    {
      config,
      schema: {
        tags,
        summary: 'Usage report',
        description:
          'Credits and job counts per accounting day (UTC), grouped by any of `team`, `key`, `model`, `day` (comma-separated), with totals. ' +
          '`format=csv` streams RFC 4180 CSV with a header row (no totals row). Defaults: this month so far, grouped by team.',
        querystring: UsageQuery,
        response: { 200: UsageReport, ...errors },
      },
    },
    async (request, reply) => {
      const { from, to } = usagePeriod(request.query, clock());
      const report = await usage.report({
        from,
        to,
        groupBy: request.query.groupBy.split(',') as never,
        ...(request.query.team && { team: request.query.team }),
        ...(request.query.key && { keyId: request.query.key }),
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
          'Every reservation, release, settlement and refund, team by team in ledger order, filtered by accounting day, team and key. ' +
          '`json` pages with a cursor; `ndjson` and `csv` stream every matching entry.',
        querystring: EventsQuery,
        response: { 200: EventsPage, ...errors },
      },
    },
    async (request, reply) => {
      const { format, limit, cursor, key, ...filters } = request.query;
      const query = { ...filters, ...(key && { keyId: key }) };
      if (format === 'json') return events.page(query, limit, cursor);
      const matching = events.entries(query, cursor);
      const entries = Readable.from(
        (async function* () {
          for await (const { entry } of matching) yield entry;
        })(),
      );
      if (format === 'ndjson') return sendStream(reply, 'application/x-ndjson', entries.map((entry: unknown) => `${JSON.stringify(entry)}\n`));
      return sendStream(reply, 'text/csv; charset=utf-8', entries.pipe(stringify({ header: true, columns: [...LEDGER_COLUMNS] })), 'ledger.csv');
    },
  );

  app.get(
    '/usage/budgets',
    {
      config,
      schema: {
        tags,
        summary: 'Budgets and their use',
        description: 'Every team, and every active key that has a budget, with spend in the current window and what remains.',
        response: { 200: Type.Object({ teams: Type.Array(TeamView), keys: Type.Array(KeyView) }), ...errors },
      },
    },
    async () => {
      const budgeted = [];
      let cursor: string | undefined;
      do {
        const page = await keys.list({ status: 'active', limit: 200, ...(cursor && { cursor }) });
        budgeted.push(...page.keys.filter((key) => key.budget !== null));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return { teams: await teams.list(), keys: budgeted };
    },
  );

  app.get(
    '/usage/reconciliation',
    {
      config,
      schema: {
        tags,
        summary: 'Reconcile with Apiframe',
        description:
          "Compares the gateway's settled credits for the period's jobs with each job's creditCost at Apiframe; lists every difference, " +
          'every job still unsettled, and every Apiframe job of the period the gateway never recorded.',
        querystring: ReconciliationQuery,
        response: { 200: Type.Unknown(), ...errors, 502: ErrorResponse },
      },
    },
    async (request) => reconciliation.reconcile({ ...usagePeriod(request.query, clock()), ...(request.query.team && { team: request.query.team }) }, request.id),
  );
};
