// Apiframe's 429s, respected by the whole gateway: once Apiframe asks for a pause, nobody here
// calls it before its Retry-After has passed, and the other instances hear of it through the
// store's change channel.
import { errors, withExtras } from '../errors.js';
import type { Store } from './store/store.js';
import type { UpstreamResponse } from './upstream.js';

export function createUpstreamPause(store: Store) {
  let pausedUntil = 0;
  store.onChange((event) => {
    if (event !== 'resync' && event.kind === 'upstream-backoff') pausedUntil = Math.max(pausedUntil, event.until);
  });

  function pauseFor(retryAfter: string | undefined): void {
    const seconds = Number(retryAfter);
    const until = Date.now() + (Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000);
    if (until <= pausedUntil) return;
    pausedUntil = until;
    store.publishChange({ kind: 'upstream-backoff', until }).catch(() => undefined);
  }

  return {
    paused: () => pausedUntil > Date.now(),

    /** Throws the caller's 429 (with Retry-After) while Apiframe's pause lasts. */
    refuseWhilePaused(): void {
      const waitMs = pausedUntil - Date.now();
      if (waitMs <= 0) return;
      throw withExtras(new errors.UpstreamRateLimited(), { retryAfter: String(Math.ceil(waitMs / 1000)) });
    },

    /** Notes an answer of Apiframe's: a 429 pauses every call until its Retry-After has passed. */
    heard(response: UpstreamResponse): void {
      if (response.status === 429) pauseFor(response.retryAfter);
    },
  };
}

export type UpstreamPause = ReturnType<typeof createUpstreamPause>;
