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

const Ceiling = (description: string) => Type.Optional(Type.Number({ exclusiveMinimum: 0, description }));

export const GatewayPrice = Type.Object(
  {
    credits: Type.Number({
      minimum: 0,
      description: 'Credits per job (`flat`), per second, per output or per megapixel, by `rule`.',
    }),
    rule: OneOf(['flat', 'per-second', 'per-output', 'per-megapixel'] as const),
    source: OneOf(['catalogue', 'operator'] as const),
    maxSeconds: Ceiling('Seconds reserved when a request cannot say its length (set by the operator).'),
    maxOutputs: Ceiling('Outputs reserved when a request cannot say its count (set by the operator).'),
    maxMegapixels: Ceiling('Megapixels reserved for a per-megapixel rule (set by the operator).'),
  },
  {
    description:
      "The gateway's price rule for the model: the operator's (PRICING, PRICING_FILE) or Apiframe's catalogue " +
      '(`pricingMode` at `costMax`). A job reserves the most it can cost by it, rounded up to whole credits ' +
      "(per second: the duration asked for, the model's longest when absent), and is charged what it cost.",
  },
);

const ModelCatalogEntry = Type.Composite([ApiframeModelEntry, Type.Object({ gatewayPrice: GatewayPrice })], {
  additionalProperties: true,
  description: "Apiframe's catalogue entry, its fields unchanged, with the gateway's price added.",
});
export type ModelCatalogEntry = Static<typeof ModelCatalogEntry>;

export const ModelCatalog = Type.Object({ models: Type.Array(ModelCatalogEntry) }, { $id: 'ModelCatalog' });

export const ModelsQuery = Type.Object({ modality: Type.Optional(StringEnum(MODALITIES)) });
