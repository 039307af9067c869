// Usage and reconciliation shapes for finance.
import { Type } from '@sinclair/typebox';
import { LEDGER_KINDS } from '../domain/ledger.js';
import { Nullable, StringEnum } from './common.js';
import { KeyView, TEAM_ID, TeamView } from './admin.js';
import { REPORTED_MODALITIES } from './modalities.js';

const Day = Type.String({ format: 'date', description: 'A UTC day, YYYY-MM-DD.' });

const Metrics = {
  credits: Type.Integer({ description: 'Net credits counted (reserved and settled) on these days.' }),
  charged: Type.Integer({ description: 'Credits of the jobs settled: what Apiframe charged for them.' }),
  reservations: Type.Integer(),
  settlements: Type.Integer({ description: 'Jobs completed and charged.' }),
  refunds: Type.Integer({ description: 'Jobs failed or cancelled, their reservation returned.' }),
  releases: Type.Integer({ description: 'Reservations returned before a job existed (refused, errors, timeouts).' }),
  overruns: Type.Integer({
    description:
      'Overrun entries: credits moved beyond what a budget check covered (a job cost more than its reservation).',
  }),
  overrunCredits: Type.Integer({ description: 'Credits of the overrun entries (included in `credits`).' }),
};

const Modality = StringEnum(REPORTED_MODALITIES, {
  description:
    "The model's modality, from Apiframe's spec (an action's is its family's); " +
    '`other`: a model the spec no longer lists.',
});

export const UsageQuery = Type.Object({
  from: Type.Optional(Day),
  to: Type.Optional(Day),
  groupBy: Type.String({
    pattern: '^(team|key|model|day|modality)(,(team|key|model|day|modality))*$',
    default: 'team',
    errorMessage: 'must be a comma-separated list of team, key, model, day, modality',
  }),
  team: Type.Optional(TEAM_ID),
  key: Type.Optional(Type.String({ format: 'uuid' })),
  model: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'Only this model, or action (`midjourney:upsample`), by the name the ledger records.',
    }),
  ),
  modality: Type.Optional(Modality),
  format: StringEnum(['json', 'csv'] as const, { default: 'json' }),
});

export const UsageReport = Type.Object({
  from: Type.String(),
  to: Type.String(),
  team: Type.Optional(
    Type.String({
      description: 'The one team the report covers, when it covers one (asked for, or the only one the key may read).',
    }),
  ),
  groupBy: Type.Array(Type.String()),
  rows: Type.Array(
    Type.Object({
      team: Type.Optional(Type.String()),
      key: Type.Optional(Type.String()),
      keyName: Type.Optional(Type.String()),
      keyPrefix: Type.Optional(Type.String()),
      model: Type.Optional(Type.String()),
      day: Type.Optional(Type.String()),
      modality: Type.Optional(Modality),
      ...Metrics,
    }),
  ),
  totals: Type.Object(Metrics),
  totalsByModality: Type.Object(
    {
      image: Type.Object(Metrics),
      video: Type.Object(Metrics),
      music: Type.Object(Metrics),
      other: Type.Optional(Type.Object(Metrics)),
    },
    { description: 'The totals of each modality; `other` only when some model had none.' },
  ),
});

export const EventsQuery = Type.Object({
  from: Type.Optional(Day),
  to: Type.Optional(Day),
  team: Type.Optional(TEAM_ID),
  key: Type.Optional(Type.String({ format: 'uuid' })),
  ephemeral: Type.Optional(
    Type.String({
      format: 'uuid',
      description: 'Only the entries of this ephemeral key (filed under its parent key).',
    }),
  ),
  format: StringEnum(['json', 'ndjson', 'csv'] as const, {
    default: 'json',
    description: '`json`: one page with a cursor; `ndjson` and `csv`: every matching entry, streamed.',
  }),
  limit: Type.Integer({ minimum: 1, maximum: 1_000, default: 100, description: 'Entries per JSON page.' }),
  cursor: Type.Optional(Type.String({ maxLength: 400 })),
});

export const LedgerEntry = Type.Object({
  id: Type.String(),
  ts: Type.Integer(),
  team: Type.String(),
  kind: StringEnum(LEDGER_KINDS),
  keyId: Type.String(),
  model: Type.String(),
  credits: Type.Integer(),
  jobId: Type.String(),
  reservationId: Type.String(),
  requestId: Type.String(),
  day: Type.String(),
  note: Type.String(),
  ephemeral: Type.Optional(
    Type.String({ description: 'The ephemeral key that spent for `keyId` (its parent), when one did.' }),
  ),
});

export const EventsPage = Type.Object({
  events: Type.Array(LedgerEntry),
  nextCursor: Nullable(Type.String()),
  hasMore: Type.Boolean(),
});

export const ReconciliationQuery = Type.Object({
  from: Type.Optional(Day),
  to: Type.Optional(Day),
  team: Type.Optional(TEAM_ID),
  limit: Type.Integer({
    minimum: 1,
    maximum: 1_000,
    default: 200,
    description:
      'Requests to Apiframe this call may make: one per job compared, one per page (100 jobs) of its account-wide job list.',
  }),
  cursor: Type.Optional(
    Type.String({ maxLength: 1_000, description: '`progress.next` of the previous answer, to continue the walk.' }),
  ),
});

const Difference = Type.Object({
  jobId: Type.String(),
  team: Type.String(),
  keyId: Type.String(),
  model: Type.String(),
  gatewayState: StringEnum(['settled', 'pending'] as const),
  gatewayCredits: Nullable(Type.Integer()),
  apiframeStatus: Nullable(Type.String()),
  apiframeCredits: Nullable(Type.Integer()),
});

export const ReconciliationReport = Type.Object({
  from: Type.String(),
  to: Type.String(),
  team: Nullable(
    Type.String({ description: "The team reconciled; null: every team, and Apiframe's account-wide job list." }),
  ),
  summary: Type.Object(
    {
      jobs: Type.Integer({ description: 'Gateway jobs compared in this answer.' }),
      settled: Type.Integer({
        description: 'Of those, the jobs the gateway has settled; the credit sums are over these.',
      }),
      unsettled: Type.Integer(),
      gatewayCredits: Type.Integer(),
      apiframeCredits: Type.Integer(),
      differences: Type.Integer(),
      unknownToGateway: Type.Integer(),
      unknownToGatewayCredits: Type.Integer(),
    },
    { description: "Over this answer's part of the period; add the parts of a walk for the whole." },
  ),
  differences: Type.Array(Difference),
  unsettled: Type.Array(Difference),
  unknownToGateway: Type.Array(
    Type.Object({
      jobId: Type.String(),
      model: Type.String(),
      status: Type.String(),
      creditCost: Nullable(Type.Integer()),
      createdAt: Type.String(),
    }),
    {
      description:
        'Jobs of the period on the Apiframe account that the gateway never recorded (every-team reconciliations only).',
    },
  ),
  errors: Type.Array(Type.Object({ jobId: Type.String(), error: Type.String() })),
  progress: Type.Object({
    jobsChecked: Type.Integer({ description: 'Gateway jobs of the period compared in this answer.' }),
    jobsRemaining: Type.Integer({ description: 'Gateway jobs of the period left for the next calls.' }),
    apiframePagesRead: Type.Integer({ description: "Pages of Apiframe's account-wide job list read in this answer." }),
    complete: Type.Boolean({ description: 'True when the walk has covered the whole period.' }),
    next: Nullable(
      Type.String({
        description: 'Pass as `cursor` (with the same from, to and team) to continue; null when complete.',
      }),
    ),
  }),
});

const ForecastDay = Nullable(Type.String({ format: 'date' }));
const Projection = (description: string) => Nullable(Type.Integer({ description }));

export const BudgetForecast = Type.Object(
  {
    window: Type.String({ description: "The window forecast: the budget's, or the calendar month without a budget." }),
    windowEndsOn: Type.String({
      format: 'date',
      description: "The window's last day (UTC); for a total budget, the last day of the month the forecast looks to.",
    }),
    method: Type.String({ description: 'How the pace was worked out, e.g. "trailing-7-day-mean".' }),
    status: StringEnum(['ok', 'not-enough-data'] as const, {
      description: '`not-enough-data`: fewer than 3 of the last 28 complete days had any spend; no projection.',
    }),
    spent: Type.Integer({ description: 'Credits counted in the window so far.' }),
    projected: Projection('Spend expected at the end of the window, at the pace.'),
    low: Projection('Low end of the ~95 % band (never below `spent`).'),
    high: Projection('High end of the ~95 % band.'),
    runsOutOn: ForecastDay,
    overBudget: Type.Boolean({ description: 'The projection (or, without one, the spend) exceeds the budget.' }),
  },
  {
    description:
      '`runsOutOn`: the day the budget is reached at the pace (today once reached); null without a budget, ' +
      'or when the window ends first.',
  },
);

export const BudgetsReport = Type.Object({
  teams: Type.Array(Type.Object({ ...TeamView.properties, forecast: BudgetForecast })),
  keys: Type.Array(Type.Object({ ...KeyView.properties, forecast: BudgetForecast })),
});
