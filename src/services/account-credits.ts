// The company account's remaining Apiframe credits: the real ceiling of a key without a budget,
// which /v2/me reports. They come from Apiframe's own GET /v2/me, are kept for a short while
// (one fetch at a time, however many callers ask), and nothing else of that answer is kept.
import { errors } from '../errors.js';
import type { Clock } from './clock.js';
import { asCallerError, upstreamRefusal } from './upstream-errors.js';
import type { UpstreamClient } from './upstream.js';

export const ACCOUNT_CREDITS_CACHE_MS = 30_000;

export interface AccountCredits {
  /** Credits left on the company account; an Apiframe-shaped 5xx error when Apiframe cannot say. */
  remaining(requestId: string): Promise<number>;
}

export function createAccountCredits(deps: { upstream: UpstreamClient; clock: Clock }): AccountCredits {
  let known: { credits: number; at: number } | null = null;
  let fetching: Promise<number> | null = null;

  async function fetchRemaining(requestId: string): Promise<number> {
    const response = await deps.upstream.getAccount(requestId).catch((error: unknown) => {
      throw asCallerError(error);
    });
    if (response.status !== 200) throw upstreamRefusal(response);
    const credits = creditsIn(response.body);
    if (credits === null) throw new errors.UpstreamUnavailable();
    known = { credits, at: deps.clock() };
    return credits;
  }

  return {
    remaining(requestId) {
      if (known && deps.clock() - known.at < ACCOUNT_CREDITS_CACHE_MS) return Promise.resolve(known.credits);
      fetching ??= fetchRemaining(requestId).finally(() => {
        fetching = null;
      });
      return fetching;
    },
  };
}

/** `team.credits` of Apiframe's /v2/me answer, if it is the whole number the spec promises. */
function creditsIn(body: string): number | null {
  try {
    const credits = (JSON.parse(body) as { team?: { credits?: unknown } | null }).team?.credits;
    return Number.isSafeInteger(credits) && (credits as number) >= 0 ? (credits as number) : null;
  } catch {
    return null;
  }
}
