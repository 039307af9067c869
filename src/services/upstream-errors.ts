// How Apiframe's answers and failures reach the caller: each refusal or network failure becomes
// one of the gateway's errors, with nothing of Apiframe's answer passed on but its validation
// messages.
import { errors, invalidInput, withExtras } from '../errors.js';
import { UpstreamFailure, type UpstreamResponse } from './upstream.js';
import { parseJson } from '../domain/jobs.js';

/** An upstream answer that is not a success, as the error the caller should see. */
export function upstreamRefusal(response: UpstreamResponse): Error {
  const { status } = response;
  if (status === 401 || status === 403) return new errors.UpstreamCredentials();
  if (status === 402) return new errors.UpstreamOutOfCredits();
  if (status === 429) return withExtras(new errors.UpstreamRateLimited(), { retryAfter: response.retryAfter ?? '1' });
  if (status === 400 || status === 422) return validationFromUpstream(response.body);
  // Apiframe's one documented 409 on a submission: an action its parent job does not allow.
  if (status === 409) return new errors.ActionNotAvailable();
  return new errors.UpstreamUnavailable();
}

/** Apiframe rejected the input: pass its message and details on, and nothing else. */
function validationFromUpstream(body: string): Error {
  const parsed = parseJson(body) as { error?: unknown; details?: unknown } | undefined;
  const fields = parsed?.details && typeof parsed.details === 'object' ? Object.entries(parsed.details) : [];
  const messages = (list: unknown[]) => list.filter((m): m is string => typeof m === 'string');
  // Built with fromEntries: a field named `__proto__` stays a field.
  return invalidInput(
    Object.fromEntries(fields.flatMap(([path, list]) => (Array.isArray(list) ? [[path, messages(list)]] : []))),
  );
}

/** A network failure as the caller's error (a timeout or an unreachable Apiframe); others unchanged. */
export function asCallerError(error: unknown): unknown {
  if (error instanceof UpstreamFailure) {
    return error.kind === 'unreachable' ? new errors.UpstreamUnavailable() : new errors.UpstreamTimeout();
  }
  return error;
}

/** Why a reservation was returned, for its ledger entry. */
export function releaseReason(error: unknown): string {
  if (error instanceof UpstreamFailure) return `upstream ${error.kind}`;
  const code = (error as { code?: string }).code;
  return code ? `refused: ${code}` : 'refused';
}

/** The id Apiframe's answer names in `field` (a job's `jobId`, a LoRA's `id`); a 502 when it names none. */
export function acceptedId(body: string, field: 'jobId' | 'id'): string {
  const id = idIn(body, field);
  if (id === undefined) throw new errors.UpstreamUnavailable();
  return id;
}

/** The id Apiframe's answer names in `field`, if it names one. */
export function idIn(body: string, field: 'jobId' | 'id'): string | undefined {
  const id = (parseJson(body) as Record<string, unknown> | undefined)?.[field];
  return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : undefined;
}
