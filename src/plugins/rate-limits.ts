// Per-key rate limits: one budget of requests a minute for job submissions, another for reads
// (domain/request-limits.ts), counted by the store so that a limit holds across instances.
// Routes marked `countsLimit` (submissions, polls) hand the quota to their service, which counts
// the request inside the store call it makes anyway; other routes count it in a call of its own
// before the handler. A route's own budget per caller where one call costs much
// (reconciliation, the public model list) is kept by @fastify/rate-limit (its Redis store when
// the gateway has Redis). Answers carry the IETF RateLimit-Policy and RateLimit fields
// (draft-ietf-httpapi-ratelimit-headers), and Retry-After with an Apiframe-shaped 429.
// A limiter that cannot reach Redis lets the request through; credits still fail closed.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Cluster, Redis } from 'ioredis';
import { LIMIT_WINDOW_MS, type LimitPolicy } from '../domain/request-limits.js';
import { remainingRequests, resetSeconds } from '../domain/request-limits.js';
import { errors, withExtras } from '../errors.js';
import { admitOnItsOwn, type RequestLimit } from '../services/request-limits.js';
import type { Store } from '../services/store/store.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which per-key request budget the route draws from. */
    limit?: LimitPolicy;
    /** The handler counts the request in its service's own store call (`request.requestLimit`). */
    countsLimit?: boolean;
  }
  interface FastifyRequest {
    /** The quota a `countsLimit` route's handler counts the request in; null when unlimited. */
    requestLimit: RequestLimit | null;
  }
}

export interface RateLimitDefaults {
  generatePerMinute: number;
  readsPerMinute: number;
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

/**
 * @fastify/rate-limit for the whole app, with no limit of its own: the per-caller budgets draw
 * on it. Counts are kept in `redis` when the gateway has Redis, in this process otherwise.
 */
export const rateLimiting = fp<{ redis: Redis | Cluster | undefined }>(
  async (app, { redis }) => {
    await app.register(rateLimit, { global: false, skipOnError: true, ...(redis && { redis, nameSpace: 'gw:rl:' }) });
  },
  { name: 'rate-limiting', fastify: '5.x' },
);

/** The IETF fields: the policy, and what remains of it until when. */
function announceLimit(reply: FastifyReply, policy: string, quota: number, remaining: number, reset: number): void {
  reply.header('ratelimit-policy', `"${policy}";q=${quota};w=${LIMIT_WINDOW_MS / 1000}`);
  reply.header('ratelimit', `"${policy}";r=${remaining};t=${reset}`);
}

/** Lets the request through, or answers 429 with Retry-After and the IETF fields. */
async function enforce(
  limiter: Limiter,
  request: FastifyRequest,
  reply: FastifyReply,
  policy: string,
  quota: number,
): Promise<void> {
  const result = await limiter(request);
  if (result.isAllowed) return;
  const reset = result.ttlInSeconds;
  announceLimit(reply, policy, quota, result.isExceeded ? 0 : result.remaining, reset);
  if (result.isExceeded) {
    throw withExtras(new errors.RateLimited(policy, quota), { retryAfter: String(Math.max(1, reset)) });
  }
}

/** Per-key limits for the routes of `app`, counted in `store`. */
export function usePerKeyRateLimits(app: FastifyInstance, defaults: RateLimitDefaults, store: Store): void {
  const perMinute = (request: FastifyRequest, policy: LimitPolicy): number => {
    const own = request.caller.key.rateLimit;
    return policy === 'generate'
      ? (own?.generatePerMinute ?? defaults.generatePerMinute)
      : (own?.readsPerMinute ?? defaults.readsPerMinute);
  };

  app.decorateRequest('requestLimit', null);
  app.addHook('preValidation', async (request: FastifyRequest, reply: FastifyReply) => {
    const { limit: policy, countsLimit } = request.routeOptions.config;
    if (!policy || request.method === 'OPTIONS') return;
    const quota = perMinute(request, policy);
    if (quota === 0) return;
    const limit: RequestLimit = {
      policy,
      keyId: request.caller.key.id,
      perMinute: quota,
      announce: (counted) =>
        announceLimit(reply, policy, quota, remainingRequests(limit, counted), resetSeconds(counted)),
    };
    if (countsLimit) request.requestLimit = limit;
    else await admitOnItsOwn(store, request.caller.key.team, limit);
  });
}

/**
 * A hook giving a route its own budget of `perMinute` calls per caller (named by `callerOf`),
 * held across instances like the per-key limits.
 */
export function perCallerRateLimit(
  app: FastifyInstance,
  policy: string,
  perMinute: number,
  callerOf: (request: FastifyRequest) => string,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const limiter = app.createRateLimit({
    timeWindow: LIMIT_WINDOW_MS,
    max: perMinute,
    keyGenerator: (request) => `${policy}:${callerOf(request)}`,
  });
  return (request, reply) => enforce(limiter, request, reply, policy, perMinute);
}
