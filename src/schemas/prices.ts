// GET /admin/prices: the gateway's price rule for each offered model or action, and what a request
// naming no length or count reserves by it.
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';

const PriceRuleView = Type.Object({
  mode: Type.String({ description: '`flat`, `per-second`, `per-output` or `per-megapixel`.' }),
  credits: Type.Number({ description: 'Credits per job, second, output or megapixel.' }),
  source: Type.String({ description: "`operator` (PRICING, PRICING_FILE) or `catalogue` (Apiframe's)." }),
  maxSeconds: Type.Optional(Type.Number()),
  maxOutputs: Type.Optional(Type.Number()),
  maxMegapixels: Type.Optional(Type.Number()),
});

export const PriceListEntry = Type.Object({
  name: Type.String({ description: 'The model, or `family:action` for an action on an earlier job.' }),
  operation: Type.String({ description: "Apiframe's path that runs it." }),
  rule: Nullable(PriceRuleView),
  exampleBound: Nullable(
    Type.Integer({ description: 'Credits a request naming no length or count reserves (the most it can cost).' }),
  ),
  unpricedBecause: Nullable(Type.String({ description: 'Why such a request would be refused, when it would.' })),
});
export type PriceListEntry = Static<typeof PriceListEntry>;

export const PriceList = Type.Object({ prices: Type.Array(PriceListEntry) }, { $id: 'PriceList' });
