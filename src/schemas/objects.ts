// Uploads, LoRAs and assets in the shapes of Apiframe's own spec (its component schemas, read
// from the committed copy, `$ref`s inlined), and the parameters of their routes.
import spec from '#apiframe-spec' with { type: 'json' };
import { Type, type Static, type TUnsafe } from '@sinclair/typebox';
import { StringEnum } from './common.js';

type Schema = Record<string, unknown>;
const components = (spec as { components: { schemas: Record<string, Schema> } }).components.schemas;

/** A component of the spec with every `$ref` replaced by what it names. */
function inlined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inlined);
  if (typeof value !== 'object' || value === null) return value;
  const ref = (value as { $ref?: string }).$ref;
  if (ref) return inlined(components[ref.replace('#/components/schemas/', '')]);
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, inlined(inner)]));
}

const component = <T>(name: string, options: Schema = {}): TUnsafe<T> =>
  Type.Unsafe<T>({ ...(inlined(components[name]) as Schema), ...options });

export const Upload = component<{ id: string; url: string }>('Upload');
export const Lora = component<{ id: string; status: string }>('Lora');
export const LoraCreated = component<{ id: string; status: 'PENDING'; imageCount: number }>('LoraCreated');
export const LoraList = component<{ items: { id: string }[]; nextCursor: string | null }>('LoraList');
export const AssetCreated = component<{ assetId: string }>('AssetCreated');
export const CreateAssetRequest = component<{ url: string; type: 'image' | 'video' | 'audio' }>('CreateAssetRequest', {
  examples: [{ url: 'https://example.com/clip.mp4', type: 'video' }],
});
export type CreateAssetRequest = Static<typeof CreateAssetRequest>;

export const ProviderAsset = Type.Object(
  {},
  { additionalProperties: true, description: "The provider's asset object, verbatim." },
);

export const LoraIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const AssetIdParams = Type.Object({ assetId: Type.String({ minLength: 1, maxLength: 256 }) });

export const LorasQuery = Type.Object({
  cursor: Type.Optional(Type.String({ format: 'uuid' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 24 })),
  includeArchived: Type.Optional(StringEnum(['true', 'false'] as const, { default: 'false' })),
});
export type LorasQuery = Static<typeof LorasQuery>;
