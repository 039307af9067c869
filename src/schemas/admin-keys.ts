// Admin API shapes for team keys.
import { Type, type Static } from '@sinclair/typebox';
import { BUDGET_PERIODS } from '../services/budget-window.js';
import { Nullable, StringEnum } from './common.js';

export const TEAM_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

export const BudgetSchema = Type.Object(
  {
    credits: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
    period: StringEnum(BUDGET_PERIODS, { description: 'UTC calendar window the credits apply to.' }),
  },
  { additionalProperties: false },
);

export const CreateKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    team: Type.String({ pattern: TEAM_PATTERN, errorMessage: 'must be 1-64 letters, digits, ".", "_" or "-"' }),
    budget: Type.Optional(Nullable(BudgetSchema)),
    expiresAt: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
  },
  {
    additionalProperties: false,
    examples: [{ name: 'web frontend', team: 'marketing', budget: { credits: 300, period: 'month' } }],
  },
);

export type CreateKeyBody = Static<typeof CreateKeyBody>;

const keyFields = {
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  team: Type.String(),
  prefix: Type.String({ description: 'The first characters of the key, for recognising it.' }),
  createdAt: Type.String({ format: 'date-time' }),
  budget: Nullable(BudgetSchema),
  expiresAt: Nullable(Type.String({ format: 'date-time' })),
};

export const CreatedKey = Type.Object(
  { ...keyFields, key: Type.String({ description: 'The secret key. Shown in this response only.' }) },
  { $id: 'CreatedKey' },
);

export const KeyView = Type.Object(
  {
    ...keyFields,
    revokedAt: Nullable(Type.String({ format: 'date-time' })),
    status: StringEnum(['active', 'revoked', 'expired'] as const),
    spent: Type.Integer({ description: "Credits counted in the budget's current window (all time without a budget)." }),
    remaining: Nullable(Type.Integer({ description: 'Credits left in the current window; null when unlimited.' })),
  },
  { $id: 'KeyView' },
);

export const KeyList = Type.Object({ keys: Type.Array(KeyView) });

export const KeyIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
