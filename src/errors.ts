// The gateway's error table: every error a caller can see has a stable GW_* code, an HTTP status
// and a message that is safe to show (never a secret, never a caller's key). The error handler
// turns them into Apiframe-shaped bodies: {"error": message, "code": code, ...extra}.
import createError from '@fastify/error';

export const errors = {
  Unauthorized: createError('GW_UNAUTHORIZED', 'Missing API key', 401),
  InvalidKey: createError('GW_INVALID_KEY', 'Invalid API key', 401),
  RevokedKeyPresented: createError('GW_KEY_REVOKED', 'API key revoked', 401),
  KeyExpired: createError('GW_KEY_EXPIRED', 'API key expired', 401),
  MetricsUnauthorized: createError('GW_METRICS_UNAUTHORIZED', 'Invalid or missing metrics token', 401),
  AdminUnauthorized: createError('GW_ADMIN_UNAUTHORIZED', 'Invalid or missing admin token', 401),
  ValidationFailed: createError('GW_VALIDATION_FAILED', 'Validation failed', 400),
  // Shaped as Apiframe's validation error, as a model Apiframe does not know is answered: its
  // details list the priced models and name the missing price.
  PriceMissing: createError('GW_PRICE_MISSING', 'Validation failed', 400),
  InvalidJson: createError('GW_INVALID_JSON', 'Request body is not valid JSON', 400),
  UnsupportedMediaType: createError('GW_UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json', 415),
  BodyTooLarge: createError('GW_BODY_TOO_LARGE', 'Request body is larger than %s bytes', 413),
  JobNotFound: createError('GW_JOB_NOT_FOUND', 'Job not found', 404),
  // Uploads, assets and LoRAs of another team are answered exactly like unknown ones.
  UploadNotFound: createError('GW_UPLOAD_NOT_FOUND', 'Upload not found', 404),
  AssetNotFound: createError('GW_ASSET_NOT_FOUND', 'Asset not found', 404),
  LoraNotFound: createError('GW_LORA_NOT_FOUND', 'LoRA not found', 404),
  UploadTooLarge: createError('GW_UPLOAD_TOO_LARGE', 'Upload too large: %s; nothing past the limit was sent', 413),
  KeyNotFound: createError('GW_KEY_NOT_FOUND', 'Key not found', 404),
  TeamNotFound: createError('GW_TEAM_NOT_FOUND', 'Team not found', 404),
  TeamExists: createError('GW_TEAM_EXISTS', 'Team %s already exists', 409),
  RevokedKeyNotEditable: createError('GW_KEY_IS_REVOKED', 'Key is revoked; issue a new one', 409),
  IdempotencyMismatch: createError(
    'GW_IDEMPOTENCY_MISMATCH',
    'This Idempotency-Key was already used with a different request body',
    409,
  ),
  ActionNotAvailable: createError(
    'GW_ACTION_NOT_AVAILABLE',
    'Apiframe cannot run this action on its parent job (not completed yet, or of another kind); nothing was charged',
    409,
  ),
  IdempotencyInProgress: createError(
    'GW_IDEMPOTENCY_IN_PROGRESS',
    'A request with this Idempotency-Key is still in progress; retry later',
    409,
  ),
  WebhooksDisabled: createError(
    'GW_WEBHOOKS_DISABLED',
    'Webhooks are not enabled on this gateway (PUBLIC_BASE_URL is not set); poll GET /v2/jobs/{id} instead',
    400,
  ),
  WebhookSignature: createError('GW_WEBHOOK_SIGNATURE', 'Invalid webhook signature', 401),
  Conflict: createError('GW_CONFLICT', 'The record changed concurrently; retry', 409),
  ScopeDenied: createError('GW_SCOPE_DENIED', 'This key lacks the "%s" scope', 403),
  UsageTeamDenied: createError(
    'GW_USAGE_TEAM_DENIED',
    'This key reads the usage of team %s only; other teams need the "usage:read:all" scope',
    403,
  ),
  UsageOrganisationDenied: createError(
    'GW_USAGE_ORGANISATION_DENIED',
    'Reconciling every team (with Apiframe\'s account-wide job list) needs the "usage:read:all" scope; this key may reconcile team=%s',
    403,
  ),
  ModelNotAllowed: createError('GW_MODEL_NOT_ALLOWED', 'Model %s is not allowed for this key', 403),
  OriginNotAllowed: createError('GW_ORIGIN_NOT_ALLOWED', 'Origin %s is not allowed for this key', 403),
  BrowserNotAllowed: createError(
    'GW_BROWSER_NOT_ALLOWED',
    'This key cannot be used from a browser (it allows no origins)',
    403,
  ),
  EphemeralKeyNotAllowed: createError(
    'GW_EPHEMERAL_KEY_NOT_ALLOWED',
    'Ephemeral keys may only submit jobs, read their own jobs and /v2/me',
    403,
  ),
  RouteNotFound: createError('GW_ROUTE_NOT_FOUND', 'Route %s %s not found', 404),
  InsufficientCredits: createError('GW_INSUFFICIENT_CREDITS', 'Insufficient credits', 402),
  UpstreamCredentials: createError(
    'GW_UPSTREAM_CREDENTIALS',
    'Upstream credentials rejected; your key is fine, contact the gateway operator',
    502,
  ),
  UpstreamOutOfCredits: createError(
    'GW_UPSTREAM_OUT_OF_CREDITS',
    'Upstream account out of credits; contact the gateway operator',
    503,
  ),
  RateLimited: createError(
    'GW_RATE_LIMITED',
    'Rate limit exceeded: %s requests are limited to %s a minute for this key; retry later',
    429,
  ),
  ReconciliationBusy: createError(
    'GW_RECONCILIATION_BUSY',
    'A reconciliation is already running on this gateway instance (one at a time); retry when it ends',
    429,
  ),
  UpstreamRateLimited: createError('GW_UPSTREAM_RATE_LIMITED', 'Upstream rate limit reached; retry later', 429),
  UpstreamUnavailable: createError('GW_UPSTREAM_UNAVAILABLE', 'Upstream service error; retry later', 502),
  UpstreamTimeout: createError('GW_UPSTREAM_TIMEOUT', 'Upstream did not answer in time', 504),
  StoreUnavailable: createError(
    'GW_STORE_UNAVAILABLE',
    'Credit store unavailable; nothing was charged, retry later',
    503,
  ),
  Overloaded: createError('GW_OVERLOADED', 'Gateway overloaded; retry later', 503),
  // Apiframe's catalogue of prices could not be read (nor a stored copy) and the operator set no
  // price: the gateway never guesses one.
  PricingUnavailable: createError(
    'GW_PRICING_UNAVAILABLE',
    'pricing unavailable; nothing was charged, retry later',
    503,
  ),
  Internal: createError('GW_INTERNAL', 'Internal gateway error', 500),
} as const;

export interface ErrorTableRow {
  name: keyof typeof errors;
  code: string;
  status: number;
  /** The message, with `%s` where the error names something (a model, a team, a limit). */
  message: string;
}

/** The table row by row, in order: the README's error-code table and ErrorResponse's enum of codes. */
export function errorTable(): ErrorTableRow[] {
  return (Object.keys(errors) as (keyof typeof errors)[]).map((name) => {
    const error = new errors[name]();
    return { name, code: error.code, status: error.statusCode!, message: error.message };
  });
}

export const ERROR_CODES: readonly string[] = Object.freeze(errorTable().map((row) => row.code));

/** Extra fields an error adds to its JSON body (validation details, credit figures, Retry-After). */
export interface ErrorExtras {
  details?: Record<string, string[]>;
  creditsRequired?: number;
  creditsAvailable?: number;
  retryAfter?: string;
}

export function withExtras<E extends Error>(error: E, extras: ErrorExtras): E & ErrorExtras {
  return Object.assign(error, extras);
}

/** A 400 naming what is wrong with each field, by JSON path. */
export function invalidInput(details: Record<string, string[]>) {
  return withExtras(new errors.ValidationFailed(), { details });
}

/** The body of an error without extras: `{"error": message, "code": code}`. */
export function errorBody(error: { message: string; code: string }): { error: string; code: string } {
  return { error: error.message, code: error.code };
}
