// Admin API shapes for budget alerts: a team's alert targets and the alert history.
import { Type, type Static } from '@sinclair/typebox';
import { ALERT_FORMATS, ALERT_KINDS, DELIVERY_STATES } from '../domain/alerts.js';
import { TEAM_ID } from './admin.js';
import { Nullable, StringEnum } from './common.js';

export const AlertTargetParams = Type.Object({ id: TEAM_ID, targetId: Type.String({ format: 'uuid' }) });

export const CreateAlertTargetBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'An https URL on a public address.' }),
    format: StringEnum(ALERT_FORMATS, {
      description: '`webhook`: the alert as signed JSON; `slack`: a Slack incoming-webhook message.',
    }),
  },
  { additionalProperties: false, examples: [{ url: 'https://hooks.slack.com/services/T0/B0/x', format: 'slack' }] },
);
export type CreateAlertTargetBody = Static<typeof CreateAlertTargetBody>;

const targetFields = {
  id: Type.String({ format: 'uuid' }),
  url: Type.String(),
  format: StringEnum(ALERT_FORMATS),
  createdAt: Type.String({ format: 'date-time' }),
};

export const AlertTargetView = Type.Object(targetFields, { $id: 'AlertTarget' });

export const AlertTargetWithSecret = Type.Object({
  ...targetFields,
  secret: Type.String({
    description:
      'Signs webhook deliveries: `x-webhook-signature: sha256=<HMAC-SHA256(body)>` keyed with SHA-256 of this ' +
      'secret. Shown in this response only.',
  }),
});

export const AlertTargetList = Type.Object({ targets: Type.Array(AlertTargetView) });

export const AlertView = Type.Object(
  {
    id: Type.String(),
    team: Type.String(),
    keyId: Nullable(
      Type.String({ description: "The key whose budget was crossed or whose job overran; null: the team's." }),
    ),
    kind: StringEnum(ALERT_KINDS),
    threshold: Nullable(Type.Integer({ description: 'The percent crossed; null for an overrun.' })),
    window: Type.String({ description: 'The budget window, e.g. "2026-11" (an overrun: its month).' }),
    spent: Type.Integer({ description: 'Credits counted in the window after the move.' }),
    limit: Nullable(Type.Integer({ description: 'The budget; null for an overrun.' })),
    credits: Type.Integer({ description: 'Credits of the move that crossed the threshold, or of the overrun.' }),
    at: Type.String({ format: 'date-time' }),
    deliveries: Type.Array(
      Type.Object({ targetId: Type.String(), state: StringEnum(DELIVERY_STATES), attempts: Type.Integer() }),
    ),
  },
  { $id: 'Alert' },
);

const Day = Type.String({ format: 'date', description: 'A UTC day, YYYY-MM-DD.' });

export const AlertHistoryQuery = Type.Object({
  team: Type.Optional(TEAM_ID),
  from: Type.Optional(Day),
  to: Type.Optional(Day),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});
export type AlertHistoryQuery = Static<typeof AlertHistoryQuery>;

export const AlertHistory = Type.Object({ alerts: Type.Array(AlertView) });
