// Once per window across instances: 1,000 concurrent submissions on three gateway instances
// sharing one Redis carry a team past 80 % of its budget, and exactly one alert is raised,
// recorded and delivered (signed, verifiable with the target's secret) to a real receiver.
// A quarter of the jobs then fail and are refunded, taking spend back under 80 %, and 100 more
// submissions cross it again in the same window: the window's marker keeps it to one alert.
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, gatewaysSharingRedis, SEED_BODY, startGateway, type TestGateway } from '../helpers/gateway.js';
import { type Receiver, startReceiver } from '../helpers/receiver.js';

const env = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' };
const shared = gatewaysSharingRedis({ env });
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
let third: TestGateway;
let receiver: Receiver;
let receiverUrl: string;

beforeAll(async () => {
  third = await startGateway({ env, sim: shared.sim, redisUrl: shared.redis.url });
  receiver = await startReceiver();
  receiverUrl = `${receiver.url}/alerts`;
}, 60_000);
afterAll(async () => {
  await third.close();
  receiver.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a threshold crossed by concurrent requests on three instances', () => {
  it('raises, records and delivers exactly one alert', { timeout: 120_000 }, async () => {
    const { first, second } = shared;
    const key = await first.createKey();
    const team = key.team;
    const patched = await first.inject({
      method: 'PATCH',
      url: `/admin/teams/${team}`,
      headers: admin,
      payload: { budget: { credits: 3_000, period: 'month' }, alertThresholds: [80] },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const created = await first.inject({
      method: 'POST',
      url: `/admin/teams/${team}/alert-targets`,
      headers: admin,
      payload: { url: receiverUrl, format: 'webhook' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const { secret } = created.json<{ secret: string }>();

    const instances = [first, second, third];
    const failing = { ...SEED_BODY, prompt: `${SEED_BODY.prompt} [sim:fail]` };
    const bodies = Array.from({ length: 1_000 }, (_, i) => (i % 4 === 3 ? failing : SEED_BODY));
    const responses = await Promise.all(bodies.map((body, i) => instances[i % 3]!.generate(key.key, body)));
    expect(responses.filter((response) => response.statusCode === 202)).toHaveLength(1_000);
    const refunded = responses.filter((_, i) => i % 4 === 3).map((response) => response.json().jobId as string);
    await Promise.all(refunded.map((jobId, i) => instances[i % 3]!.poll(key.key, jobId)));
    expect((await first.spend(key)).month).toBe(2_250);
    const again = await Promise.all(Array.from({ length: 100 }, (_, i) => instances[i % 3]!.generate(key.key)));
    expect(again.filter((response) => response.statusCode === 202)).toHaveLength(100);
    expect((await first.spend(key)).month).toBe(2_550);

    const { received } = receiver;
    const deadline = Date.now() + 30_000;
    while (received.length === 0 && Date.now() < deadline) await sleep(20);
    await sleep(1_500); // time for a second delivery, were there one
    expect(received).toHaveLength(1);

    const history = await second.inject({ method: 'GET', url: `/admin/usage/alerts?team=${team}`, headers: admin });
    const { alerts } = history.json();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ team, keyId: null, kind: 'threshold', threshold: 80, limit: 3_000 });
    expect(alerts[0].spent).toBe(2_400);
    expect(alerts[0].deliveries).toEqual([{ targetId: created.json().id, state: 'delivered', attempts: 1 }]);

    const [delivery] = received;
    const signingKey = createHash('sha256').update(secret).digest();
    const expected = `sha256=${createHmac('sha256', signingKey).update(delivery!.body).digest('hex')}`;
    expect(delivery!.headers['x-webhook-signature']).toBe(expected);
    expect(delivery!.headers['x-webhook-event']).toBe('budget.alert');
    expect(JSON.parse(delivery!.body)).toEqual({
      event: 'budget.alert',
      alert: {
        id: alerts[0].id,
        team,
        keyId: null,
        kind: 'threshold',
        threshold: 80,
        window: alerts[0].window,
        spent: alerts[0].spent,
        limit: 3_000,
        credits: 3,
        at: alerts[0].at,
      },
    });
  });
});
