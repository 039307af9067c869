// Ephemeral (browser) keys: the minting body and the answer that shows the key once.
import { Type, type Static } from '@sinclair/typebox';
import { EPHEMERAL_TTL_SECONDS } from '../domain/ephemeral-keys.js';
import { Nullable } from './common.js';

const ExactOrigin = Type.String({
  pattern: '^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$',
  maxLength: 255,
  errorMessage: 'must be an exact origin such as "https://app.example.com" (scheme, host, optional port; no path)',
});

const Models = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
  minItems: 1,
  maxItems: 100,
  uniqueItems: true,
});

const Metadata = Type.Record(Type.String({ minLength: 1, maxLength: 40 }), Type.String({ maxLength: 500 }), {
  maxProperties: 16,
  description: 'Free-form labels (up to 16), e.g. the session or user it was minted for.',
});

export const MintEphemeralKeyBody = Type.Object(
  {
    ttlSeconds: Type.Optional(
      Type.Integer({
        minimum: EPHEMERAL_TTL_SECONDS.min,
        maximum: EPHEMERAL_TTL_SECONDS.max,
        default: EPHEMERAL_TTL_SECONDS.default,
        description: 'How long the key works, in seconds (60 to 3600; default 900).',
      }),
    ),
    budget: Type.Object(
      {
        credits: Type.Integer({
          minimum: 1,
          maximum: 1_000_000_000,
          description:
            "Its cap over its life; at most what the parent key may still spend (the tighter of its own and its team's budget).",
        }),
      },
      { additionalProperties: false },
    ),
    allowedOrigins: Type.Array(ExactOrigin, {
      minItems: 1,
      maxItems: 20,
      uniqueItems: true,
      description: 'The only web origins it works from.',
    }),
    allowedModels: Type.Optional(Models),
    maxJobs: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Jobs it may create.' })),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [{ ttlSeconds: 900, budget: { credits: 9 }, allowedOrigins: ['https://app.example.com'], maxJobs: 3 }],
  },
);
export type MintEphemeralKeyBody = Static<typeof MintEphemeralKeyBody>;

export const EphemeralKeyWithSecret = Type.Object(
  {
    key: Type.String({ description: 'The ephemeral key (`gke_…`), shown in this answer only.' }),
    id: Type.String({ format: 'uuid' }),
    parentKeyId: Type.String({ format: 'uuid' }),
    team: Type.String(),
    expiresAt: Type.String({ format: 'date-time' }),
    budget: Type.Object({ credits: Type.Integer() }),
    allowedOrigins: Type.Array(Type.String()),
    allowedModels: Nullable(Type.Array(Type.String())),
    maxJobs: Nullable(Type.Integer()),
    metadata: Type.Record(Type.String(), Type.String()),
  },
  { $id: 'EphemeralKeyWithSecret' },
);
export type EphemeralKeyWithSecret = Static<typeof EphemeralKeyWithSecret>;
