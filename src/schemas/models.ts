// GET /v2/models: Apiframe's ModelCatalog, entries unchanged (its schema is deliberately loose and
// allows extra fields), each with the gateway's own price beside Apiframe's cost range.
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './common.js';

export const MODALITIES = ['image', 'video', 'music'] as const;
export type Modality = (typeof MODALITIES)[number];

const PRICING_MODES = ['flat', 'per-second', 'per-output'] as const;

/** One of `values`, as literals: the service checks Apiframe's answer with TypeBox's Value, which knows no Unsafe. */
const OneOf = <const T extends readonly string[]>(values: T) => Type.Union(values.map((value) => Type.Literal(value)));

/** An entry of Apiframe's catalogue as its spec describes it (ModelCatalogEntry). */
export const ApiframeModelEntry = Type.Object(
  {
    id: Type.String(),
    label: Type.String(),
    modality: OneOf(MODALITIES),
    description: Type.Optional(Type.String()),
    pricingMode: Type.Optional(OneOf(PRICING_MODES)),
    costMin: Type.Optional(Type.Number()),
    costMax: Type.Optional(Type.Number()),
  },
  { additionalProperties: true },
);
export type ApiframeModelEntry = Static<typeof ApiframeModelEntry>;

export const ApiframeModelCatalog = Type.Object(
  { models: Type.Array(ApiframeModelEntry) },
  { additionalProperties: true },
);

export const GatewayPrice = Type.Object(
  {
    credits: Type.Integer({ minimum: 0, description: 'Whole credits this gateway reserves for one job of the model.' }),
    rule: Type.Literal('flat', {
      description: 'How `credits` is applied: `flat`, the same for every job of the model.',
    }),
  },
  { description: "The gateway's price for the model (from its PRICING), beside Apiframe's `costMin`–`costMax`." },
);

const ModelCatalogEntry = Type.Composite([ApiframeModelEntry, Type.Object({ gatewayPrice: GatewayPrice })], {
  additionalProperties: true,
  description: "Apiframe's catalogue entry, its fields unchanged, with the gateway's price added.",
});
export type ModelCatalogEntry = Static<typeof ModelCatalogEntry>;

export const ModelCatalog = Type.Object({ models: Type.Array(ModelCatalogEntry) }, { $id: 'ModelCatalog' });

export const ModelsQuery = Type.Object({ modality: Type.Optional(StringEnum(MODALITIES)) });
