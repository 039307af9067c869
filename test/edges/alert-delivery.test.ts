// Budget alerts end to end on Redis with an injected clock: the Slack and webhook formats as a
// receiver gets them, a failing target retried and then recorded failed without ever blocking
// spend, thresholds re-armed when the window turns over, and an overrun always alerting.
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, gatewayOnRedis, SEED_BODY, testClock, type CreatedKey } from '../helpers/gateway.js';
import { type Receiver, startReceiver } from '../helpers/receiver.js';
import { waitUntil } from '../helpers/redis-node.js';

const clock = testClock();
const ctx = gatewayOnRedis({ clock, env: { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver((path) => (path.startsWith('/failing') ? 500 : 204));
});
afterAll(() => {
  receiver.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  ctx.gw.inject({ method, url, headers: admin, ...(payload && { payload }) });

/** A key whose team has `credits` a month and these thresholds, with a target per path. */
async function budgetedTeam(credits: number, alertThresholds: number[] | null, targets: [string, string][] = []) {
  const key = await ctx.gw.createKey();
  const team = await call('PATCH', `/admin/teams/${key.team}`, {
    budget: { credits, period: 'month' },
    alertThresholds,
  });
  expect(team.statusCode, team.body).toBe(200);
  const secrets: Record<string, { id: string; secret: string }> = {};
  for (const [path, format] of targets) {
    const created = await call('POST', `/admin/teams/${key.team}/alert-targets`, {
      url: `${receiver.url}${path}`,
      format,
    });
    expect(created.statusCode, created.body).toBe(201);
    secrets[path] = created.json();
  }
  return { key, secrets };
}

const history = async (key: CreatedKey) =>
  (await call('GET', `/admin/usage/alerts?team=${key.team}`)).json().alerts as {
    kind: string;
    threshold: number | null;
    window: string;
    credits: number;
    deliveries: { targetId: string; state: string; attempts: number }[];
  }[];
const receivedAt = (path: string) => receiver.received.filter((entry) => entry.path === path);

describe('budget alerts delivered', () => {
  it('sends a Slack message that reads well and a webhook signed with the target’s secret', async () => {
    clock.set('2026-11-25T12:00:00.000Z');
    const { key, secrets } = await budgetedTeam(
      10,
      [50],
      [
        ['/slack', 'slack'],
        ['/hook', 'webhook'],
      ],
    );
    expect((await ctx.gw.generate(key.key)).statusCode).toBe(202);
    expect(receiver.received.filter((entry) => ['/slack', '/hook'].includes(entry.path))).toHaveLength(0);
    expect((await ctx.gw.generate(key.key)).statusCode).toBe(202);
    await waitUntil(async () => receivedAt('/slack').length + receivedAt('/hook').length === 2, 'both deliveries');

    const [slack] = receivedAt('/slack');
    expect(slack!.headers['x-webhook-signature']).toBeUndefined();
    const message = JSON.parse(slack!.body);
    expect(message.text).toBe(
      `:warning: Budget alert: team *${key.team}* has used 50% of its budget for 2026-11: 6 of 10 credits.`,
    );
    expect(message.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: message.text } });
    expect(message.blocks[1].type).toBe('context');

    const [hook] = receivedAt('/hook');
    const signingKey = createHash('sha256').update(secrets['/hook']!.secret).digest();
    const signature = `sha256=${createHmac('sha256', signingKey).update(hook!.body).digest('hex')}`;
    expect(hook!.headers['x-webhook-signature']).toBe(signature);
    expect(JSON.parse(hook!.body).alert).toMatchObject({ team: key.team, threshold: 50, spent: 6, limit: 10 });
    await waitUntil(
      async () => (await history(key))[0]!.deliveries.every((d) => d.state === 'delivered'),
      'the deliveries recorded delivered',
    );
  });

  it('retries a failing target, then records it failed, and never blocks spend', async () => {
    clock.set('2026-11-10T00:00:00.000Z');
    const { key, secrets } = await budgetedTeam(100, [1], [['/failing', 'webhook']]);
    expect((await ctx.gw.generate(key.key)).statusCode).toBe(202);
    await waitUntil(async () => receivedAt('/failing').length === 1, 'the first attempt');
    for (let attempt = 2; attempt <= 6; attempt++) {
      expect((await ctx.gw.generate(key.key)).statusCode).toBe(202);
      clock.advance(2 * 3_600_000 + 1);
      ctx.gw.app.services.webhooks.kick();
      await waitUntil(async () => receivedAt('/failing').length === attempt, `attempt ${attempt}`);
    }
    const { id } = secrets['/failing']!;
    await waitUntil(
      async () => (await history(key))[0]!.deliveries[0]!.state === 'failed',
      'the delivery recorded failed',
    );
    expect((await history(key))[0]!.deliveries).toEqual([{ targetId: id, state: 'failed', attempts: 6 }]);
    clock.advance(24 * 3_600_000);
    ctx.gw.app.services.webhooks.kick();
    await sleep(300);
    expect(receivedAt('/failing')).toHaveLength(6);
    const metric = await ctx.gw.app.services.metrics.registry.getSingleMetricAsString(
      'apiframe_gateway_alert_deliveries_total',
    );
    expect(metric).toMatch(/alert_deliveries_total\{outcome="retry"\} [5-9]/);
    expect(metric).toMatch(/alert_deliveries_total\{outcome="failed"\} 1$/m);
  });

  it('re-arms every threshold when the window turns over', async () => {
    clock.set('2026-11-30T23:00:00.000Z');
    const { key } = await budgetedTeam(6, [50, 100]);
    for (let i = 0; i < 2; i++) expect((await ctx.gw.generate(key.key)).statusCode).toBe(202);
    expect((await ctx.gw.generate(key.key)).statusCode).toBe(402);
    clock.set('2026-12-01T00:00:01.000Z');
    for (let i = 0; i < 2; i++) expect((await ctx.gw.generate(key.key)).statusCode).toBe(202);
    const alerts = await history(key);
    expect(alerts.map((alert) => `${alert.window} ${alert.threshold}`)).toEqual([
      '2026-12 100',
      '2026-12 50',
      '2026-11 100',
      '2026-11 50',
    ]);
  });

  it('always alerts on an overrun and counts it, auditing threshold alerts only', async () => {
    clock.set('2026-11-20T12:00:00.000Z');
    const { key } = await budgetedTeam(1_000, [1]);
    const accepted = await ctx.gw.generate(key.key, { ...SEED_BODY, prompt: `${SEED_BODY.prompt} [sim:cost=8]` });
    expect(accepted.statusCode).toBe(202);
    const polled = await ctx.gw.poll(key.key, accepted.json().jobId);
    expect(polled.json()).toMatchObject({ status: 'COMPLETED' });
    const [alert] = await history(key);
    expect(alert).toMatchObject({ kind: 'overrun', keyId: key.id, threshold: null, credits: 5, window: '2026-11' });
    // The overrun took spend to 8 of 1,000: the next request finds 1 % passed and raises it.
    expect((await ctx.gw.generate(key.key)).statusCode).toBe(202);
    expect((await history(key))[0]).toMatchObject({ kind: 'threshold', threshold: 1, spent: 11 });
    const fired = async () => {
      const { entries } = (await call('GET', '/admin/audit?limit=50')).json();
      return (entries as { action: string; target: string }[]).filter((entry) => entry.action === 'alert.fire');
    };
    await waitUntil(
      async () => (await fired()).some((entry) => entry.target === `team:${key.team}`),
      'the threshold alert audited',
    );
    expect((await fired()).some((entry) => entry.target === `key:${key.id}`)).toBe(false);
    const metric = await ctx.gw.app.services.metrics.registry.getSingleMetricAsString(
      'apiframe_gateway_alerts_fired_total',
    );
    expect(metric).toContain(`kind="overrun",team="${key.team}"`);
  });
});
