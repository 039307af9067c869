// Shared by the admin and team-key usage routes: the default period and the JSON or CSV reply.
import type { FastifyReply } from 'fastify';
import { stringify } from 'csv-stringify';
import { sendStream } from './raw-reply.js';
import { USAGE_METRICS, type UsageReport } from '../services/usage-report.js';

export const LEDGER_COLUMNS = [
  'id',
  'ts',
  'day',
  'team',
  'kind',
  'keyId',
  'model',
  'credits',
  'jobId',
  'reservationId',
  'requestId',
  'note',
] as const;

/** The CSV columns a group brings: a key its name and prefix, a model its modality (unless grouped by it). */
const COLUMNS_OF_GROUP: Partial<Record<string, (groupBy: string[]) => string[]>> = {
  key: () => ['key', 'keyName', 'keyPrefix'],
  model: (groupBy) => (groupBy.includes('modality') ? ['model'] : ['model', 'modality']),
};

/** `from`..`to` as asked, defaulting to the current UTC month so far. */
export function usagePeriod(query: { from?: string; to?: string }, now: number): { from: string; to: string } {
  const today = new Date(now).toISOString().slice(0, 10);
  return { from: query.from ?? `${today.slice(0, 7)}-01`, to: query.to ?? today };
}

export function sendUsageReport(reply: FastifyReply, report: UsageReport, format: 'json' | 'csv'): FastifyReply {
  if (format === 'json') return reply.send(report);
  const groups = report.groupBy.flatMap((group) => COLUMNS_OF_GROUP[group]?.(report.groupBy) ?? [group]);
  const csv = stringify(report.rows, { header: true, columns: [...groups, ...USAGE_METRICS], escape_formulas: true });
  return sendStream(reply, 'text/csv; charset=utf-8', csv, `usage-${report.from}-to-${report.to}.csv`);
}
