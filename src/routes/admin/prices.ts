// /admin/prices: the rule in force for each model and action the gateway offers, and its example
// reservation (what `apiframe-gateway-admin prices list` prints).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponse } from '../../schemas/common.js';
import { PriceList } from '../../schemas/prices.js';

export const priceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { priceList } = app.services;
  app.get(
    '/prices',
    {
      schema: {
        tags: ['Admin: prices'],
        summary: 'List the price rules in force',
        description:
          "Each offered model and action with the operator's rule or, failing one, Apiframe's catalogue rule; " +
          'its example bound is what a request naming no length or count reserves.',
        response: { 200: PriceList, 401: ErrorResponse, 403: ErrorResponse, 503: ErrorResponse },
      },
    },
    async () => ({ prices: await priceList.list() }),
  );
};
