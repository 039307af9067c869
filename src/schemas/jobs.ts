// Job shapes from Apiframe's spec: the gateway passes job bodies through as Apiframe sent them,
// so these schemas document the contract rather than filter it.
import { Type } from '@sinclair/typebox';
import { Nullable, StringEnum } from './common.js';

const JOB_STATUSES = ['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;

export const Job = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    status: StringEnum(JOB_STATUSES),
    model: Type.String(),
    progress: Nullable(Type.Integer({ minimum: 0, maximum: 100 })),
    error: Nullable(Type.String()),
    creditCost: Nullable(Type.Integer()),
    webhookStatus: Nullable(StringEnum(['pending', 'delivered', 'failed'] as const)),
    createdAt: Type.String({ format: 'date-time' }),
    completedAt: Nullable(Type.String({ format: 'date-time' })),
    expired: Type.Optional(Type.Boolean()),
    input: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
    result: Type.Optional(Type.Unknown()),
  },
  { $id: 'Job', additionalProperties: true },
);

export const JobIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const ListJobsQuery = Type.Object({
  status: Type.Optional(StringEnum(JOB_STATUSES)),
  model: Type.Optional(Type.String({ maxLength: 100 })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  scope: StringEnum(['user', 'team'] as const, {
    default: 'user',
    description: "`user`: this key's jobs; `team`: every job of the key's team.",
  }),
  search: Type.Optional(Type.String({ format: 'uuid', description: 'Find one job by id.' })),
  include_models: StringEnum(['true', 'false'] as const, { default: 'false' }),
});

export const JobList = Type.Object(
  {
    jobs: Type.Array(Job),
    nextCursor: Nullable(Type.String()),
    hasMore: Type.Boolean(),
    models: Type.Optional(Type.Array(Type.String())),
  },
  { $id: 'JobList' },
);
