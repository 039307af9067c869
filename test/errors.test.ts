import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, errorTable, errors } from '../src/errors.js';
import { ErrorResponse } from '../src/schemas/common.js';

describe('the error table', () => {
  it('gives every error a code of its own, in the GW_* namespace', () => {
    const codes = errorTable().map((row) => row.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^GW_[A-Z_]+$/);
  });

  // Callers match on these: a change here is a breaking change of the API.
  it('keeps every code and its status stable', () => {
    const statuses = Object.fromEntries(errorTable().map((row) => [row.code, row.status]));
    expect(statuses).toEqual({
      GW_UNAUTHORIZED: 401,
      GW_INVALID_KEY: 401,
      GW_KEY_REVOKED: 401,
      GW_KEY_EXPIRED: 401,
      GW_METRICS_UNAUTHORIZED: 401,
      GW_ADMIN_UNAUTHORIZED: 401,
      GW_VALIDATION_FAILED: 400,
      GW_PRICE_MISSING: 400,
      GW_INVALID_JSON: 400,
      GW_UNSUPPORTED_MEDIA_TYPE: 415,
      GW_BODY_TOO_LARGE: 413,
      GW_JOB_NOT_FOUND: 404,
      GW_UPLOAD_NOT_FOUND: 404,
      GW_ASSET_NOT_FOUND: 404,
      GW_LORA_NOT_FOUND: 404,
      GW_UPLOAD_TOO_LARGE: 413,
      GW_KEY_NOT_FOUND: 404,
      GW_TEAM_NOT_FOUND: 404,
      GW_TEAM_EXISTS: 409,
      GW_KEY_IS_REVOKED: 409,
      GW_IDEMPOTENCY_MISMATCH: 409,
      GW_IDEMPOTENCY_IN_PROGRESS: 409,
      GW_ACTION_NOT_AVAILABLE: 409,
      GW_WEBHOOKS_DISABLED: 400,
      GW_WEBHOOK_SIGNATURE: 401,
      GW_CONFLICT: 409,
      GW_SCOPE_DENIED: 403,
      GW_USAGE_TEAM_DENIED: 403,
      GW_USAGE_ORGANISATION_DENIED: 403,
      GW_MODEL_NOT_ALLOWED: 403,
      GW_ORIGIN_NOT_ALLOWED: 403,
      GW_BROWSER_NOT_ALLOWED: 403,
      GW_EPHEMERAL_KEY_NOT_ALLOWED: 403,
      GW_ROUTE_NOT_FOUND: 404,
      GW_INSUFFICIENT_CREDITS: 402,
      GW_UPSTREAM_CREDENTIALS: 502,
      GW_UPSTREAM_OUT_OF_CREDITS: 503,
      GW_RATE_LIMITED: 429,
      GW_RECONCILIATION_BUSY: 429,
      GW_UPSTREAM_RATE_LIMITED: 429,
      GW_UPSTREAM_UNAVAILABLE: 502,
      GW_UPSTREAM_TIMEOUT: 504,
      GW_STORE_UNAVAILABLE: 503,
      GW_OVERLOADED: 503,
      GW_PRICING_UNAVAILABLE: 503,
      GW_INTERNAL: 500,
    });
  });

  it('documents every code in the README', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const code of ERROR_CODES) expect(readme).toContain(`| \`${code}\` |`);
  });

  it("offers exactly the table's codes as ErrorResponse.code in the API description", () => {
    expect(ErrorResponse.properties.code).toMatchObject({ enum: [...ERROR_CODES] });
  });

  it('says which revoked-key error is which: a request presenting one, or a change to one', () => {
    expect(new errors.RevokedKeyPresented()).toMatchObject({ code: 'GW_KEY_REVOKED', statusCode: 401 });
    expect(new errors.RevokedKeyNotEditable()).toMatchObject({ code: 'GW_KEY_IS_REVOKED', statusCode: 409 });
  });
});
