// The catalogue kept on Redis: one hash, its body and when it was read.
import type { RedisContext } from '../redis-context.js';
import type { PriceCatalogueRecords } from './contract.js';
import { KEEP_CATALOGUE } from './lua.js';

const CATALOGUE_KEY = 'gw:prices:catalogue';

export function createRedisPriceCatalogue({ redis, guarded }: RedisContext): PriceCatalogueRecords {
  return {
    keepCatalogue: ({ body, fetchedAt }) =>
      guarded(() => KEEP_CATALOGUE.run(redis, { catalogueKey: CATALOGUE_KEY, body, fetchedAt })),

    keptCatalogue: () =>
      guarded(async () => {
        const [body, fetchedAt] = await redis.hmget(CATALOGUE_KEY, 'body', 'fetchedAt');
        return typeof body === 'string' && typeof fetchedAt === 'string'
          ? { body, fetchedAt: Number(fetchedAt) }
          : null;
      }),
  };
}
