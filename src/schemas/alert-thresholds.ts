// The alert thresholds a team or a key may set (admin API) and the pricing file's default.
import { Type } from '@sinclair/typebox';
import { MAX_THRESHOLDS } from '../domain/alerts.js';

export const Thresholds = Type.Array(Type.Integer({ minimum: 1, maximum: 100 }), {
  uniqueItems: true,
  maxItems: MAX_THRESHOLDS,
  description: `Whole percents of the budget, in (0, 100], distinct, at most ${MAX_THRESHOLDS}; [] for none.`,
});

export const AlertThresholds = Type.Union([Thresholds, Type.Null()], {
  description:
    'Percents of the budget at which spend raises an alert, once per window; null: the gateway default ' +
    '(`alertThresholds` of the pricing file, else ALERT_THRESHOLDS); []: no threshold alerts.',
});
