// Request counters in memory, as the Redis counter counts: a window opened by its first request,
// timed by this machine's clock as Redis times its keys' expiry (never by an injected clock).
import { LIMIT_WINDOW_MS, type RequestCount, type RequestQuota } from '../../../domain/request-limits.js';
import type { RequestLimits } from './contract.js';

interface Window {
  count: number;
  closesAt: number;
}

/** Past this many counters, closed windows are swept when a new one opens. */
const SWEEP_ABOVE = 10_000;

/** Windows by team, policy and key: what the memory store's features count requests in. */
export class RequestWindows {
  private readonly windows = new Map<string, Window>();

  /** Counts one request of `quota` (a `perMinute` of 0 is not counted). */
  count(team: string, quota: RequestQuota | undefined): RequestCount {
    if (!quota || quota.perMinute === 0) return { count: 0, resetMs: 0 };
    const now = Date.now();
    const id = `${team}|${quota.policy}|${quota.keyId}`;
    let window = this.windows.get(id);
    if (!window || window.closesAt <= now) {
      if (this.windows.size > SWEEP_ABOVE) this.sweep(now);
      window = { count: 0, closesAt: now + LIMIT_WINDOW_MS };
      this.windows.set(id, window);
    }
    window.count += 1;
    return { count: window.count, resetMs: window.closesAt - now };
  }

  private sweep(now: number): void {
    for (const [id, window] of this.windows) if (window.closesAt <= now) this.windows.delete(id);
  }
}

export function createMemoryRequestLimits(windows: RequestWindows): RequestLimits {
  return {
    async countRequest(team, quota) {
      return windows.count(team, quota);
    },
  };
}
