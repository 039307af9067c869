// Admin API shapes: team keys, teams and the audit trail.
import { Type, type Static } from '@sinclair/typebox';
import { BUDGET_PERIODS } from '../domain/budgets.js';
import { SCOPES } from '../domain/keys.js';
import { AlertThresholds } from './alert-thresholds.js';
import { Nullable, StringEnum } from './common.js';

export const TEAM_ID = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  errorMessage: 'must be 1-64 letters, digits, ".", "_" or "-"',
});

const BudgetSchema = Type.Object(
  {
    credits: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
    period: StringEnum(BUDGET_PERIODS, {
      description: 'UTC calendar window the credits apply to (weeks start on Monday).',
    }),
  },
  { additionalProperties: false, description: 'null means unlimited.' },
);

const Origin = Type.String({
  pattern: '^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$',
  maxLength: 255,
  errorMessage: 'must be an origin such as "https://app.example.com" (scheme, host, optional port; no path)',
});

const RateLimitSchema = Type.Object(
  {
    generatePerMinute: Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    readsPerMinute: Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  { additionalProperties: false, description: 'Per-key limits; null fields use the gateway defaults.' },
);

const Metadata = Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,40}$' }), Type.String({ maxLength: 500 }), {
  maxProperties: 20,
  description: 'Free-form labels (up to 20), e.g. a cost centre.',
});

const KeySettings = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  budget: Nullable(BudgetSchema),
  expiresAt: Nullable(Type.String({ format: 'date-time' })),
  scopes: Type.Array(StringEnum(SCOPES), { minItems: 1, uniqueItems: true, description: 'Default: ["generate"].' }),
  allowedModels: Nullable(
    Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
      uniqueItems: true,
      description: 'null: every priced model.',
    }),
  ),
  allowedOrigins: Type.Array(Origin, {
    maxItems: 50,
    uniqueItems: true,
    description: 'Web origins the key may be used from; empty: none (not usable from a browser).',
  }),
  rateLimit: Nullable(RateLimitSchema),
  metadata: Metadata,
  alertThresholds: AlertThresholds,
});

export const CreateKeyBody = Type.Object(
  { ...Type.Partial(KeySettings).properties, name: KeySettings.properties.name, team: TEAM_ID },
  {
    additionalProperties: false,
    examples: [
      {
        name: 'web frontend',
        team: 'marketing',
        budget: { credits: 300, period: 'month' },
        allowedOrigins: ['https://app.example.com'],
      },
    ],
  },
);
export type CreateKeyBody = Static<typeof CreateKeyBody>;

export const UpdateKeyBody = Type.Partial(KeySettings, {
  additionalProperties: false,
  minProperties: 1,
  examples: [{ budget: { credits: 600, period: 'month' }, scopes: ['generate', 'usage:read'] }],
});
export type UpdateKeyBody = Static<typeof UpdateKeyBody>;

export const RotateKeyBody = Type.Object(
  {
    gracePeriodSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 604_800,
        default: 0,
        description: 'How long the old secret keeps working (at most 7 days).',
      }),
    ),
  },
  { additionalProperties: false, examples: [{ gracePeriodSeconds: 3600 }] },
);

const spendFields = {
  window: Type.String({ description: 'The budget window shown, e.g. "2026-11" (or "total").' }),
  spent: Type.Integer({ description: 'Credits counted in that window (reserved and settled).' }),
  remaining: Nullable(Type.Integer({ description: 'Credits left in the window; null when unlimited.' })),
};

const keyFields = {
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  team: Type.String(),
  prefix: Type.String({ description: 'The first characters of the key, for recognising it.' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  budget: Nullable(BudgetSchema),
  expiresAt: Nullable(Type.String({ format: 'date-time' })),
  revokedAt: Nullable(Type.String({ format: 'date-time' })),
  previousKeyValidUntil: Nullable(
    Type.String({
      format: 'date-time',
      description: 'Until when the secret replaced by the last rotation still works.',
    }),
  ),
  scopes: Type.Array(StringEnum(SCOPES)),
  allowedModels: Nullable(Type.Array(Type.String())),
  allowedOrigins: Type.Array(Type.String()),
  rateLimit: Nullable(RateLimitSchema),
  metadata: Type.Record(Type.String(), Type.String()),
  alertThresholds: AlertThresholds,
  status: StringEnum(['active', 'revoked', 'expired'] as const),
};

export const KeyView = Type.Object({ ...keyFields, ...spendFields }, { $id: 'KeyView' });

export const KeyWithSecret = Type.Object(
  { ...keyFields, ...spendFields, key: Type.String({ description: 'The secret key. Shown in this response only.' }) },
  { $id: 'KeyWithSecret' },
);

export const ListKeysQuery = Type.Object({
  team: Type.Optional(TEAM_ID),
  status: Type.Optional(StringEnum(['active', 'revoked', 'expired'] as const)),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});

export const KeyPage = Type.Object({
  keys: Type.Array(KeyView),
  nextCursor: Nullable(Type.String()),
  hasMore: Type.Boolean(),
});

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
/** A team key and an ephemeral key it minted. */
export const EphemeralKeyParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
  ephemeralId: Type.String({ format: 'uuid' }),
});
export const TeamParams = Type.Object({ id: TEAM_ID });

export const CreateTeamBody = Type.Object(
  {
    id: TEAM_ID,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    budget: Nullable(BudgetSchema),
    alertThresholds: Type.Optional(AlertThresholds),
  },
  {
    additionalProperties: false,
    examples: [{ id: 'marketing', name: 'Marketing', budget: { credits: 3000, period: 'month' } }],
  },
);
export type CreateTeamBody = Static<typeof CreateTeamBody>;

export const UpdateTeamBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    budget: Type.Optional(Nullable(BudgetSchema)),
    alertThresholds: Type.Optional(AlertThresholds),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ budget: { credits: 5000, period: 'month' } }] },
);
export type UpdateTeamBody = Static<typeof UpdateTeamBody>;

export const TeamView = Type.Object(
  {
    id: Type.String(),
    uuid: Type.String({
      format: 'uuid',
      description: "The team's id in Apiframe's shapes (`team.id` of /v2/me): given once, never changed.",
    }),
    name: Type.String(),
    budget: Nullable(BudgetSchema),
    alertThresholds: AlertThresholds,
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    ...spendFields,
  },
  { $id: 'TeamView' },
);

export const TeamList = Type.Object({ teams: Type.Array(TeamView) });

export const AuditQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]+(-[0-9]+)?$' })),
});

export const AuditPage = Type.Object({
  entries: Type.Array(
    Type.Object({
      id: Type.String(),
      at: Type.String({ format: 'date-time' }),
      actor: Type.String({ description: '"admin-token", or "key:<id>" for a key with the admin scope.' }),
      action: Type.String({
        examples: ['key.create', 'key.update', 'key.rotate', 'key.revoke', 'team.create', 'team.update'],
      }),
      target: Type.String({ examples: ['key:3f0c9a1e-…', 'team:marketing'] }),
      before: Type.Unknown(),
      after: Type.Unknown(),
      requestId: Type.String(),
    }),
  ),
  nextCursor: Nullable(Type.String()),
  hasMore: Type.Boolean(),
});
