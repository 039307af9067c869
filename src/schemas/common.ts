// Schemas shared by every surface: Apiframe's error envelopes and small building blocks.
import { Type, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { ERROR_CODES } from '../errors.js';

/** A string restricted to a fixed list, emitted as a plain JSON Schema `enum`. */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: Record<string, unknown> = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

/** The gateway's stable error codes, from the error table in src/errors.ts. */
const ErrorCode = StringEnum(ERROR_CODES, { $id: 'ErrorCode', description: 'Stable gateway error code (GW_*).' });

export const ErrorResponse = Type.Object(
  {
    error: Type.String({ description: 'What went wrong, safe to show.' }),
    code: Type.Optional(ErrorCode),
  },
  { $id: 'ErrorResponse', description: "Apiframe's error envelope." },
);

export const ValidationErrorResponse = Type.Object(
  {
    error: Type.String(),
    code: Type.Optional(ErrorCode),
    details: Type.Optional(
      Type.Record(Type.String(), Type.Array(Type.String()), {
        description: 'Messages keyed by JSON path of the offending field (`$` is the whole body).',
      }),
    ),
  },
  { $id: 'ValidationError' },
);

export const InsufficientCreditsResponse = Type.Object(
  {
    error: Type.Literal('Insufficient credits'),
    code: Type.Optional(Type.Literal('GW_INSUFFICIENT_CREDITS')),
    creditsRequired: Type.Integer({ minimum: 0 }),
    creditsAvailable: Type.Integer({ minimum: 0 }),
  },
  { $id: 'InsufficientCredits' },
);

/** What any route that calls Apiframe for a team key may answer besides its success and a 400. */
export const upstreamCallFailures = {
  401: ErrorResponse,
  403: ErrorResponse,
  429: ErrorResponse,
  502: ErrorResponse,
  503: ErrorResponse,
  504: ErrorResponse,
};
