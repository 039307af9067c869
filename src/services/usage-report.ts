// Usage reports for finance, read from the daily aggregates (never from the ledger), so a month
// of any size answers in milliseconds. Rows are grouped by any of team, key, model, day and
// modality (the model's, from Apiframe's spec); credits are counted on the accounting day (the
// UTC day they were reserved), exactly as the budgets count them.
import { invalidInput } from '../errors.js';
import { DAY_MS } from '../domain/budgets.js';
import type { AggregateCell } from '../domain/ledger.js';
import { modalityOf, type ReportedModality } from '../schemas/modalities.js';
import type { Store } from './store/store.js';

const USAGE_GROUPS = ['team', 'key', 'model', 'day', 'modality'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

export const USAGE_METRICS = [
  'credits',
  'charged',
  'reservations',
  'settlements',
  'refunds',
  'releases',
  'overruns',
  'overrunCredits',
] as const;
export type UsageMetrics = Record<(typeof USAGE_METRICS)[number], number>;

export interface UsageRow extends UsageMetrics {
  team?: string;
  key?: string;
  keyName?: string;
  keyPrefix?: string;
  model?: string;
  day?: string;
  /** The row's modality: when grouped by it, or by model (each model has one). */
  modality?: ReportedModality;
}

export interface UsageQuery {
  from: string;
  to: string;
  groupBy: UsageGroup[];
  team?: string;
  keyId?: string;
  model?: string;
  modality?: ReportedModality;
}

export interface UsageReport {
  from: string;
  to: string;
  /** The one team the report covers, when it was limited to one. */
  team?: string;
  groupBy: UsageGroup[];
  rows: UsageRow[];
  totals: UsageMetrics;
  /** The totals of each modality: image, video and music always, `other` when some name had none. */
  totalsByModality: Partial<Record<ReportedModality, UsageMetrics>>;
}

const MAX_REPORT_DAYS = 400;

/** Every UTC day from `from` to `to` inclusive (YYYY-MM-DD); a 400 when the range is not one. */
export function daysBetween(from: string, to: string): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  const invalid = (message: string) => invalidInput({ to: [message] });
  if (end < start) throw invalid('must not be before from');
  if ((end - start) / DAY_MS >= MAX_REPORT_DAYS) throw invalid(`the range may span at most ${MAX_REPORT_DAYS} days`);
  const days: string[] = [];
  for (let at = start; at <= end; at += DAY_MS) days.push(new Date(at).toISOString().slice(0, 10));
  return days;
}

export function emptyMetrics(): UsageMetrics {
  return {
    credits: 0,
    charged: 0,
    reservations: 0,
    settlements: 0,
    refunds: 0,
    releases: 0,
    overruns: 0,
    overrunCredits: 0,
  };
}

function add(into: UsageMetrics, cell: AggregateCell): void {
  into.credits += cell.credits;
  into.charged += cell.charged;
  into.reservations += cell.reserve;
  into.settlements += cell.settle;
  into.refunds += cell.refund;
  into.releases += cell.release;
  into.overruns += cell.overrun;
  into.overrunCredits += cell.overrunCredits;
}

export function createUsageReports(store: Store) {
  async function cells(query: UsageQuery): Promise<AggregateCell[]> {
    const days = daysBetween(query.from, query.to);
    const teams = query.team ? [query.team] : await store.teams();
    const all = (await Promise.all(teams.map((team) => store.aggregates(team, days)))).flat();
    return all.filter(
      (cell) =>
        (!query.keyId || cell.keyId === query.keyId) &&
        (!query.model || cell.model === query.model) &&
        (!query.modality || modalityOf(cell.model) === query.modality),
    );
  }

  async function keyLabels(keyIds: string[]): Promise<Map<string, { name: string; prefix: string }>> {
    const records = await Promise.all(keyIds.map((id) => store.getKey(id)));
    return new Map(
      records.flatMap((record) => (record ? [[record.id, { name: record.name, prefix: record.prefix }] as const] : [])),
    );
  }

  async function reportOf(query: UsageQuery, read: AggregateCell[]): Promise<UsageReport> {
    const groupBy = USAGE_GROUPS.filter((group) => query.groupBy.includes(group));
    const { rows, totals, totalsByModality } = grouped(read, groupBy);
    if (groupBy.includes('key')) {
      const labels = await keyLabels([...new Set(rows.map((row) => row.key!))]);
      for (const row of rows) {
        const label = labels.get(row.key!);
        row.keyName = label?.name ?? '';
        row.keyPrefix = label?.prefix ?? '';
      }
    }
    const team = query.team && { team: query.team };
    return { from: query.from, to: query.to, ...team, groupBy, rows, totals, totalsByModality };
  }

  return {
    report: async (query: UsageQuery): Promise<UsageReport> => reportOf(query, await cells(query)),

    /** The same cells, read once, grouped each way of `groupings`. */
    async reports(query: Omit<UsageQuery, 'groupBy'>, groupings: UsageGroup[][]): Promise<UsageReport[]> {
      const read = await cells({ ...query, groupBy: [] });
      return Promise.all(groupings.map((groupBy) => reportOf({ ...query, groupBy }, read)));
    },
  };
}

/** The cells added up into one row per group, in order, with the totals overall and by modality. */
function grouped(
  cells: AggregateCell[],
  groupBy: UsageGroup[],
): Pick<UsageReport, 'rows' | 'totals' | 'totalsByModality'> {
  const rows = new Map<string, UsageRow>();
  const totals = emptyMetrics();
  const totalsByModality: UsageReport['totalsByModality'] = {
    image: emptyMetrics(),
    video: emptyMetrics(),
    music: emptyMetrics(),
  };
  for (const cell of cells) {
    const modality = modalityOf(cell.model);
    const values: Record<UsageGroup, string> = {
      team: cell.team,
      key: cell.keyId,
      model: cell.model,
      day: cell.day,
      modality,
    };
    const id = groupBy.map((group) => values[group]).join('\u0000');
    let row = rows.get(id);
    if (!row) {
      row = { ...Object.fromEntries(groupBy.map((group) => [group, values[group]])), ...emptyMetrics() };
      if (groupBy.includes('model')) row.modality = modality;
      rows.set(id, row);
    }
    const ofModality = totalsByModality[modality] ?? emptyMetrics();
    totalsByModality[modality] = ofModality;
    for (const into of [row, totals, ofModality]) add(into, cell);
  }
  const sorted = [...rows.values()].sort((a, b) => {
    for (const group of ['day', 'team', 'key', 'model', 'modality'] as const) {
      const order = (a[group] ?? '').localeCompare(b[group] ?? '');
      if (order !== 0) return order;
    }
    return 0;
  });
  return { rows: sorted, totals, totalsByModality };
}

export type UsageReports = ReturnType<typeof createUsageReports>;
