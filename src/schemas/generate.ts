// The body of POST /v2/images/generate for seedream-4, written by hand from Apiframe's Seedream 4
// doc page, which says more than the spec's branch for it (the other models' bodies come from
// the spec itself: services/operations/).
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './common.js';

const SeedreamParams = Type.Object(
  {
    aspect_ratio: Type.Optional(
      Type.String({
        pattern: '^(match_input_image|[1-9][0-9]{0,3}:[1-9][0-9]{0,3})$',
        errorMessage: 'must be "match_input_image" or "W:H" (e.g. "16:9")',
        examples: ['16:9'],
      }),
    ),
    size: Type.Optional(StringEnum(['1K', '2K', '4K', 'custom'] as const, { default: '2K' })),
    width: Type.Optional(Type.Integer({ minimum: 1024, maximum: 4096, description: 'Only with size "custom".' })),
    height: Type.Optional(Type.Integer({ minimum: 1024, maximum: 4096, description: 'Only with size "custom".' })),
    image_input: Type.Optional(
      Type.Array(
        Type.String({
          format: 'uri',
          pattern: '^https?://',
          maxLength: 4096,
          errorMessage: 'must be an http(s) URL',
        }),
        { maxItems: 10, description: 'Up to 10 input image URLs for editing or image-to-image.' },
      ),
    ),
    enhance_prompt: Type.Optional(Type.Boolean({ default: true })),
    guidance_scale: Type.Optional(Type.Number({ minimum: 1, maximum: 10 })),
    seed: Type.Optional(Type.Integer()),
    output_format: Type.Optional(StringEnum(['jpg', 'png'] as const)),
    resolution: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    use_pre_llm: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const WEBHOOK_EVENTS = ['progress', 'completed', 'failed'] as const;

export const Seedream4Request = Type.Object(
  {
    prompt: Type.String({ minLength: 1, maxLength: 2000 }),
    model: Type.Literal('seedream-4'),
    seedreamParams: Type.Optional(SeedreamParams),
    webhookUrl: Type.Optional(
      Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048, errorMessage: 'must be an http(s) URL' }),
    ),
    webhookEvents: Type.Optional(Type.Array(StringEnum(WEBHOOK_EVENTS), { minItems: 1, uniqueItems: true })),
  },
  { additionalProperties: false },
);

export type Seedream4Request = Static<typeof Seedream4Request>;

/** Rules that span fields, which the JSON schema alone does not express. Returns details by path. */
export function seedream4CrossFieldErrors(body: Seedream4Request): Record<string, string[]> {
  const details: Record<string, string[]> = {};
  const params = body.seedreamParams;
  if (!params) return details;
  const custom = params.size === 'custom';
  for (const side of ['width', 'height'] as const) {
    if (params[side] !== undefined && !custom) {
      details[`seedreamParams.${side}`] = ['is only allowed with size "custom"'];
    }
    if (params[side] === undefined && custom) {
      details[`seedreamParams.${side}`] = ['is required with size "custom"'];
    }
  }
  return details;
}

export const JobAccepted = Type.Object(
  {
    jobId: Type.String({ format: 'uuid' }),
    status: StringEnum(['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED'] as const),
  },
  { $id: 'JobAccepted', additionalProperties: true },
);
