import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { generateOpenApi, OPENAPI_ENV } from '../../scripts/openapi.js';
import { NO_LOAD_SHEDDING } from '../helpers/gateway.js';

// No load shedding: on a busy machine the served document would be a 503 (it does not change it).
const config = loadConfig({ ...OPENAPI_ENV, ...NO_LOAD_SHEDDING });
const configWithMetrics = loadConfig({ ...OPENAPI_ENV, METRICS_TOKEN: 'metrics-token-0123456789' });
type Spec = {
  paths: Record<
    string,
    Record<
      string,
      {
        summary?: string;
        tags?: string[];
        responses: Record<string, unknown>;
        requestBody?: { content: Record<string, { example?: unknown; examples?: unknown }> };
      }
    >
  >;
};

let app: FastifyInstance;
let spec: Spec;

beforeAll(async () => {
  app = await buildApp(config, { reconcile: false });
  await app.ready();
  spec = app.swagger() as unknown as Spec;
});
afterAll(async () => {
  await app.close();
});

/** The app's routes as "METHOD /path/{param}", without HEAD, CORS preflights and the UI's files. */
function routeTable(instance: FastifyInstance): string[] {
  const routes: string[] = [];
  const parents: string[] = [];
  for (const line of instance.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^(.*?)── (\S+) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = (match[1]!.length - 1) / 4;
    const path = (depth > 0 ? parents[depth - 1]! : '') + match[2]!;
    parents[depth] = path;
    const documented = path.replace(/:(\w+)/g, '{$1}');
    if (documented.includes('*') || documented.startsWith('/docs') || documented.startsWith('/dashboard')) continue;
    for (const method of match[3]!.split(', '))
      if (method !== 'HEAD' && method !== 'OPTIONS') routes.push(`${method} ${documented}`);
  }
  return routes.sort();
}

describe('the OpenAPI document', () => {
  it('is committed up to date (run `npm run openapi` after changing a route), and regenerates identically', async () => {
    const committed = readFileSync('openapi/openapi.json', 'utf8');
    expect(committed).toBe(`${JSON.stringify(await generateOpenApi(), null, 2)}\n`);
    expect(JSON.parse(committed)).toEqual(JSON.parse(JSON.stringify(spec)));
  });

  it('is valid OpenAPI 3.1', async () => {
    const copy = JSON.parse(JSON.stringify(spec));
    await expect(SwaggerParser.validate(copy)).resolves.toBeTruthy();
    expect((spec as unknown as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('describes every route of the app, and nothing else', () => {
    const documented = Object.entries(spec.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(routeTable(app));
  });

  it('gives every operation a summary, a tag and its error responses, and every body an example', () => {
    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(operation.summary, where).toBeTruthy();
        expect(operation.tags?.length, where).toBeGreaterThan(0);
        const statuses = Object.keys(operation.responses);
        expect(
          statuses.some((status) => status.startsWith('2') || status.startsWith('3')),
          where,
        ).toBe(true);
        const open = ['/healthz', '/readyz', '/openapi.json'].includes(path);
        if (!open)
          expect(
            statuses.some((status) => status.startsWith('4')),
            `${where} lists its client errors`,
          ).toBe(true);
        if (operation.requestBody) {
          const media = operation.requestBody.content['application/json']!;
          expect(media.example ?? media.examples, `${where} has a request example`).toBeTruthy();
        }
      }
    }
  });

  it('includes /metrics when a metrics token is configured', async () => {
    const withMetrics = await buildApp(configWithMetrics, { reconcile: false });
    await withMetrics.ready();
    try {
      expect(Object.keys((withMetrics.swagger() as unknown as Spec).paths)).toContain('/metrics');
    } finally {
      await withMetrics.close();
    }
  });

  it('is the committed document whatever the configuration: every optional feature on, metrics apart or off', async () => {
    const committed = JSON.parse(readFileSync('openapi/openapi.json', 'utf8'));
    const everything = {
      ...OPENAPI_ENV,
      ...NO_LOAD_SHEDDING,
      METRICS_TOKEN: 'metrics-token-0123456789',
      PUBLIC_BASE_URL: 'https://gateway.example.com',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_HOSTS: 'hooks.internal',
      RESERVATION_LEASE_MS: '120000',
      RATE_LIMIT_GENERATE_PER_MINUTE: '0',
      RATE_LIMIT_READS_PER_MINUTE: '0',
    };
    const { METRICS_TOKEN: _, ...metricsApart } = { ...everything, METRICS_PORT: '9464' };
    for (const env of [everything, metricsApart, { ...everything, METRICS_PORT: '9464' }]) {
      const gateway = await buildApp(loadConfig(env), { reconcile: false });
      try {
        const served = await gateway.inject({ method: 'GET', url: '/openapi.json' });
        expect(served.json(), JSON.stringify(Object.keys(env))).toEqual(committed);
      } finally {
        await gateway.close();
      }
    }
  });

  it('describes /metrics with its bearer token, and answers it as an unknown route when this port serves none', async () => {
    const metrics = spec.paths['/metrics']!.get! as unknown as { security: unknown; responses: object };
    expect(metrics.security).toEqual([{ MetricsToken: [] }]);
    expect(Object.keys(metrics.responses)).toEqual(['200', '401', '404']);
    const unknown = await app.inject({ method: 'GET', url: '/metrics' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: 'Route GET /metrics not found', code: 'GW_ROUTE_NOT_FOUND' });
  });

  it('is served at /openapi.json, with Swagger UI at /docs', async () => {
    expect((await app.inject({ method: 'GET', url: '/openapi.json' })).json()).toEqual(
      JSON.parse(JSON.stringify(spec)),
    );
    const ui = await app.inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger-ui');
  });
});
