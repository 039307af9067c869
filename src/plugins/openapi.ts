// The gateway's OpenAPI 3.1 document, generated from the route schemas by @fastify/swagger,
// served at /openapi.json and browsable with Swagger UI at /docs.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

async function openApiDocument(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Apiframe gateway',
        version: '0.1.0',
        description:
          'A drop-in gateway for the Apiframe v2 API: team keys, exact credit metering, the real Apiframe key kept secret.',
      },
      components: {
        securitySchemes: {
          TeamKey: {
            type: 'apiKey',
            in: 'header',
            name: 'X-API-Key',
            description: 'A team key (`gk_…`); `Authorization: Bearer gk_…` works too.',
          },
          AdminToken: { type: 'http', scheme: 'bearer', description: 'The gateway’s ADMIN_TOKEN.' },
          MetricsToken: { type: 'http', scheme: 'bearer', description: 'The gateway’s METRICS_TOKEN.' },
        },
      },
      tags: [
        { name: 'Images', description: 'Image jobs (Apiframe-compatible)' },
        { name: 'Videos', description: 'Video jobs (Apiframe-compatible)' },
        { name: 'Music', description: 'Music jobs (Apiframe-compatible)' },
        { name: 'Jobs', description: 'Job status and listing (Apiframe-compatible)' },
        { name: 'Account', description: 'The calling team key' },
        { name: 'Admin: keys', description: 'The team-key lifecycle' },
        { name: 'Admin: teams', description: 'Teams and their shared budgets' },
        { name: 'Admin: audit', description: 'Who changed what, when' },
        { name: 'Webhooks', description: 'Job events from Apiframe, relayed to callers' },
        { name: 'Operations', description: 'Health and the API description' },
      ],
    },
  });
  app.get('/openapi.json', { schema: { tags: ['Operations'], summary: 'This API as OpenAPI 3.1' } }, async () =>
    app.swagger(),
  );
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
}

/** Registered before any route, so that every route is in the document. */
export const openApi = fp(openApiDocument, { name: 'openapi', fastify: '5.x' });
