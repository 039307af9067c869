// Per-key rate limits with @fastify/rate-limit (its Redis store when the gateway has Redis, so
// a limit holds across instances): one budget of requests for job submissions, another for
// reads, and a route's own budget per caller where one call costs much (reconciliation). Answers carry the IETF RateLimit-Policy and RateLimit fields
// (draft-ietf-httpapi-ratelimit-headers), and Retry-After with an Apiframe-shaped 429.
// A limiter that cannot reach Redis lets the request through; credits still fail closed.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Cluster, Redis } from 'ioredis';
import { errors, withExtras } from '../errors.js';

export type LimitPolicy = 'generate' | 'reads';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which per-key request budget the route draws from. */
    limit?: LimitPolicy;
  }
}

export interface RateLimitDefaults {
  generatePerMinute: number;
  readsPerMinute: number;
}

const WINDOW_MS = 60_000;

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

/**
 * @fastify/rate-limit for the whole app, with no limit of its own: routes draw on the limiters
 * below. Counts are kept in `redis` when the gateway has Redis, in this process otherwise.
 */
export const rateLimiting = fp<{ redis: Redis | Cluster | undefined }>(
  async (app, { redis }) => {
    await app.register(rateLimit, { global: false, skipOnError: true, ...(redis && { redis, nameSpace: 'gw:rl:' }) });
  },
  { name: 'rate-limiting', fastify: '5.x' },
);

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
  reply.header('ratelimit-policy', `"${policy}";q=${quota};w=${WINDOW_MS / 1000}`);
  reply.header('ratelimit', `"${policy}";r=${result.isExceeded ? 0 : result.remaining};t=${reset}`);
  if (result.isExceeded) {
    throw withExtras(new errors.RateLimited(policy, quota), { retryAfter: String(Math.max(1, reset)) });
  }
}

/** Per-key limits for the routes of `app`, drawn from the rate-limiting plugin's store. */
export function usePerKeyRateLimits(app: FastifyInstance, defaults: RateLimitDefaults): void {
  const perMinute = (request: FastifyRequest, policy: LimitPolicy): number => {
    const own = request.caller.key.rateLimit;
    return policy === 'generate'
      ? (own?.generatePerMinute ?? defaults.generatePerMinute)
      : (own?.readsPerMinute ?? defaults.readsPerMinute);
  };
  const limiters = Object.fromEntries(
    (['generate', 'reads'] as const).map((policy) => [
      policy,
      app.createRateLimit({
        timeWindow: WINDOW_MS,
        max: (request) => perMinute(request, policy),
        keyGenerator: (request) => `${policy}:${request.caller.key.id}`,
      }),
    ]),
  ) as Record<LimitPolicy, Limiter>;

  app.addHook('preValidation', async (request: FastifyRequest, reply: FastifyReply) => {
    const policy = request.routeOptions.config.limit;
    if (!policy || request.method === 'OPTIONS') return;
    const quota = perMinute(request, policy);
    if (quota === 0) return;
    await enforce(limiters[policy], request, reply, policy, quota);
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
    timeWindow: WINDOW_MS,
    max: perMinute,
    keyGenerator: (request) => `${policy}:${callerOf(request)}`,
  });
  return (request, reply) => enforce(limiter, request, reply, policy, perMinute);
}
