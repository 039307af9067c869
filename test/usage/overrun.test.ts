// Apiframe charged more than the gateway reserved: the ledger tells the truth (the excess is an
// `overrun` entry, counted in the aggregates and the credits metric, and logged as a warning),
// and a key whose spend passed its budget takes no new work until its window turns or its
// budget is raised.
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, gatewayOnRedis, SEED_BODY, testClock } from '../helpers/gateway.js';

const clock = testClock('2026-11-25T12:00:00.000Z');
const context = gatewayOnRedis({ clock });
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('a job that costs more than its reservation', () => {
  it('is recorded as an overrun, and blocks the key until its budget allows spend again', async () => {
    const { gw } = context;
    const key = await gw.createKey({ budget: { credits: 4, period: 'day' } });
    const submitted = await gw.generate(key.key, { ...SEED_BODY, prompt: `${SEED_BODY.prompt} [sim:cost=5]` });
    expect(submitted.statusCode).toBe(202);
    const { jobId } = submitted.json<{ jobId: string }>();
    expect((await gw.poll(key.key, jobId)).json()).toMatchObject({ status: 'COMPLETED', creditCost: 5 });

    const ledger = await gw.app.services.store.readLedger(key.team, null, 100);
    expect(ledger.map((entry) => `${entry.kind} ${entry.credits}`)).toEqual(['reserve 3', 'settle 0', 'overrun 2']);
    expect((await gw.spend(key)).day).toBe(5);
    const [cell] = await gw.app.services.store.aggregates(key.team, ['2026-11-25']);
    expect(cell).toMatchObject({ credits: 5, charged: 5, overrun: 1, overrunCredits: 2 });
    const metric = await gw.app.services.metrics.registry.getSingleMetricAsString('apiframe_gateway_credits_total');
    expect(metric).toContain(`apiframe_gateway_credits_total{kind="overrun",team="${key.team}",model="seedream-4"} 2`);
    const warning = gw.logs
      .map((line) => JSON.parse(line))
      .find((line) => line.msg === 'job cost more than its reservation: overrun recorded');
    expect(warning).toMatchObject({ level: 40, jobId, charged: 5, reserved: 3, overrun: 2 });

    const blocked = await gw.generate(key.key);
    expect(blocked.statusCode).toBe(402);
    expect(blocked.json()).toMatchObject({ creditsRequired: 3, creditsAvailable: 0 });
    expect((await gw.inject({ method: 'GET', url: `/admin/keys/${key.id}`, headers: admin })).json()).toMatchObject({
      remaining: 0,
    });

    const raised = await gw.inject({
      method: 'PATCH',
      url: `/admin/keys/${key.id}`,
      headers: admin,
      payload: { budget: { credits: 8, period: 'day' } },
    });
    expect(raised.statusCode).toBe(200);
    expect((await gw.generate(key.key)).statusCode).toBe(202);
    expect((await gw.generate(key.key)).statusCode).toBe(402);

    clock.advance(86_400_000);
    expect((await gw.generate(key.key)).statusCode).toBe(202);
  });
});
