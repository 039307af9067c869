// The finance dashboard at /dashboard: static files (no build step) and the Chart.js bundle
// from node_modules, under a strict Content-Security-Policy. Its data comes from the usage API.
// A statement it opens is a blob document, which keeps the dashboard's policy rather than the
// statement's: so the policy also allows the statement's stylesheet, by its hash, and nothing else.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { PROJECT_ROOT } from '../project-root.js';
import { STATEMENT_STYLE_SOURCE } from '../services/statements/statement-html.js';

const CHART_DIR = join(dirname(createRequire(import.meta.url).resolve('chart.js')));
/** The policy of every finance page (the dashboard, a statement), but for where styles may come from. */
export const FINANCE_PAGE_POLICY =
  "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
const POLICY = `${FINANCE_PAGE_POLICY}; style-src 'self' ${STATEMENT_STYLE_SOURCE}`;

export const dashboardRoutes: FastifyPluginAsync = async (app) => {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });
  await app.register(fastifyStatic, {
    root: join(PROJECT_ROOT, 'public', 'dashboard'),
    prefix: '/dashboard/',
    decorateReply: true,
    schemaHide: true,
  });
  app.get('/dashboard', { schema: { hide: true } }, (_request, reply) => reply.redirect('/dashboard/'));
  app.get('/dashboard/vendor/chart.umd.js', { schema: { hide: true } }, (_request, reply) =>
    reply.sendFile('chart.umd.min.js', CHART_DIR),
  );
};
