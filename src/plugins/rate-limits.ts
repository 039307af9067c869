// Per-key rate limits with @fastify/rate-limit (its Redis store when the gateway has Redis, so
// a limit holds across instances): one budget of requests for job submissions, another for
// reads. Answers carry the IETF RateLimit-Policy and RateLimit fields
// (draft-ietf-httpapi-ratelimit-headers), and Retry-After with an Apiframe-shaped 429.
// A limiter that cannot reach Redis lets the request through; credits still fail closed.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors, withExtras } from '../errors.js';
import type { Store } from '../services/store/types.js';

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

export async function usePerKeyRateLimits(app: FastifyInstance, store: Store, defaults: RateLimitDefaults): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    skipOnError: true,
    ...(store.redis && { redis: store.redis, nameSpace: 'gw:rl:' }),
  });

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
  ) as Record<LimitPolicy, ReturnType<FastifyInstance['createRateLimit']>>;

  app.addHook('preValidation', async (request: FastifyRequest, reply: FastifyReply) => {
    const policy = request.routeOptions.config.limit;
    if (!policy || request.method === 'OPTIONS') return;
    const quota = perMinute(request, policy);
    if (quota === 0) return;
    const result = await limiters[policy](request);
    if (result.isAllowed) return;
    const reset = result.ttlInSeconds;
    reply.header('ratelimit-policy', `"${policy}";q=${quota};w=${WINDOW_MS / 1000}`);
    reply.header('ratelimit', `"${policy}";r=${result.isExceeded ? 0 : result.remaining};t=${reset}`);
    if (result.isExceeded) {
      throw withExtras(new errors.RateLimited(policy, quota), { retryAfter: String(Math.max(1, reset)) });
    }
  });
}
