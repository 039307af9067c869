import { afterAll, describe, expect, it } from 'vitest';
import { startMetricsServer } from '../../src/plugins/metrics.js';
import { ADMIN_TOKEN, gatewayOnRedis, SEED_BODY, UPSTREAM_KEY } from '../helpers/gateway.js';
import { parseExposition, type Sample } from '../helpers/prometheus-text.js';

const METRICS_TOKEN = 'metrics-token-for-the-test-suite';
const ctx = gatewayOnRedis({ env: { METRICS_TOKEN } });

async function scrape(): Promise<{ text: string; families: Sample[] }> {
  const response = await ctx.gw.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toContain('text/plain');
  return { text: response.body, families: parseExposition(response.body) };
}

/** The sum of the samples of `name` whose labels include `labels` (0 when there is none yet). */
function value(samples: Sample[], name: string, labels: Record<string, string>): number {
  return samples
    .filter((s) => s.name === `apiframe_gateway_${name}` && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

describe('/metrics', () => {
  it('refuses a scrape without the metrics token', async () => {
    expect((await ctx.gw.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect(
      (await ctx.gw.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }))
        .statusCode,
    ).toBe(401);
  });

  it('moves as expected after a generate, a failed job and a 402', async () => {
    const key = await ctx.gw.createKey({ budget: { credits: 6, period: 'day' } });
    const credits = (kind: string, families: Sample[]) =>
      value(families, 'credits_total', { kind, team: key.team, model: 'seedream-4' });
    const generated = (families: Sample[], status: string) =>
      value(families, 'http_requests_total', { method: 'POST', route: '/v2/images/generate', status });

    const before = (await scrape()).families;
    const accepted = await ctx.gw.generate(key.key);
    expect(accepted.statusCode).toBe(202);
    const afterGenerate = (await scrape()).families;
    expect(generated(afterGenerate, '202') - generated(before, '202')).toBe(1);
    expect(credits('reserved', afterGenerate)).toBe(3);
    const byModality = { kind: 'reserved', team: key.team, modality: 'image' };
    expect(value(afterGenerate, 'modality_credits_total', byModality)).toBe(3);
    expect(value(afterGenerate, 'modality_credits_total', { ...byModality, modality: 'video' })).toBe(0);
    expect(value(afterGenerate, 'pending_jobs', {})).toBeGreaterThanOrEqual(1);
    expect(
      value(afterGenerate, 'upstream_request_duration_seconds_count', { operation: 'generate', status: '202' }),
    ).toBeGreaterThanOrEqual(1);

    const failed = await ctx.gw.generate(key.key, { ...SEED_BODY, prompt: 'x [sim:fail]' });
    await ctx.gw.poll(key.key, failed.json().jobId);
    const afterFailure = (await scrape()).families;
    expect(credits('reserved', afterFailure)).toBe(6);
    expect(credits('refunded', afterFailure)).toBe(3);

    expect((await ctx.gw.generate(key.key)).statusCode).toBe(202);
    const refused = await ctx.gw.generate(key.key);
    const afterRefusal = (await scrape()).families;
    expect(refused.statusCode).toBe(402);
    expect(generated(afterRefusal, '402') - generated(afterFailure, '402')).toBe(1);
    expect(credits('reserved', afterRefusal)).toBe(9);

    await ctx.gw.poll(key.key, accepted.json().jobId);
    const afterSettle = (await scrape()).families;
    expect(credits('settled', afterSettle)).toBe(3);
    expect(
      value(afterSettle, 'http_requests_total', { method: 'GET', route: '/v2/jobs/:id', status: '200' }),
    ).toBeGreaterThanOrEqual(2);
  });

  it('counts upstream errors by status, and labels routes by pattern only', async () => {
    const key = await ctx.gw.createKey();
    await ctx.gw.generate(key.key, { ...SEED_BODY, prompt: 'x [sim:status=503]' });
    await ctx.gw.inject({ method: 'GET', url: '/v2/no/such/route', headers: { 'x-api-key': key.key } });
    const { text, families } = await scrape();
    expect(value(families, 'upstream_errors_total', { operation: 'generate', status: '503' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(value(families, 'http_requests_total', { route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(value(families, 'http_requests_in_flight', {})).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(UPSTREAM_KEY);
    expect(text).not.toContain(key.key);
    expect(text).not.toContain(key.id);
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
  });
});

describe('METRICS_PORT', () => {
  let close: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await close?.();
  });

  it('serves /metrics without a token on a port of its own', async () => {
    const server = await startMetricsServer(ctx.gw.app.services.metrics, 0, '127.0.0.1');
    close = () => server.close();
    const address = server.server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${address.port}/metrics`);
    expect(response.status).toBe(200);
    expect(
      parseExposition(await response.text()).some((sample) => sample.name === 'apiframe_gateway_credits_total'),
    ).toBe(true);
  });
});
