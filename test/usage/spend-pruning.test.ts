// The reconciler keeps each team's spend hash from growing with every day and every browser key:
// once an hour it drops the counters of windows that ended over a day ago and of ephemeral keys
// expired over a day ago, and keeps what budgets read (the current windows, `total`), the ledger
// and the reports untouched.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { DAY_MS, dayOf } from '../../src/domain/budgets.js';
import { teamKeys } from '../../src/services/store/redis-context.js';
import { ADMIN_TOKEN, gatewayOnRedis, SEED_BODY, testClock } from '../helpers/gateway.js';

// Ephemeral keys expire by the real clock in Redis: the test starts now and moves on from there.
const clock = testClock(new Date().toISOString());
const FIRST_DAY = dayOf(clock());
const ctx = gatewayOnRedis({ clock });
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const ORIGIN = 'https://app.example.com';

describe('pruning spend counters', () => {
  it("drops past windows' and expired browser keys' counters, keeping budgets, ledger and reports whole", async () => {
    const { gw } = ctx;
    const parent = await gw.createKey({
      scopes: ['generate', 'keys:mint'],
      budget: { credits: 300, period: 'day' },
    });
    const minted = await gw.inject({
      method: 'POST',
      url: '/v2/ephemeral-keys',
      headers: { 'x-api-key': parent.key },
      payload: { budget: { credits: 9 }, allowedOrigins: [ORIGIN] },
    });
    expect(minted.statusCode, minted.body).toBe(201);
    const browser = { authorization: `Bearer ${minted.json().key}`, origin: ORIGIN };
    const viaBrowser = await gw.inject({
      method: 'POST',
      url: '/v2/images/generate',
      headers: browser,
      payload: SEED_BODY,
    });
    expect(viaBrowser.statusCode, viaBrowser.body).toBe(202);
    expect((await gw.generate(parent.key)).statusCode).toBe(202);

    const redis = new Redis(ctx.redis.url);
    try {
      const fields = () => redis.hkeys(teamKeys(parent.team).spend);
      expect((await fields()).filter((field) => field.startsWith('eph:'))).toHaveLength(2);
      const settle = () => gw.app.services.backgroundSettlement.settleOnce();
      await settle();
      expect(
        (await fields()).some((field) => field.endsWith(`:${FIRST_DAY}`)),
        'today is kept',
      ).toBe(true);

      clock.advance(3 * DAY_MS);
      const today = dayOf(clock());
      expect((await gw.generate(parent.key)).statusCode).toBe(202);
      await settle();
      const left = await fields();
      expect(left.filter((field) => field.includes(FIRST_DAY) || field.startsWith('eph:'))).toEqual([]);
      expect(left).toEqual(
        expect.arrayContaining([`key:${parent.id}:${today}`, `team:${today}`, `key:${parent.id}:total`]),
      );
      expect(await gw.spend(parent)).toMatchObject({ day: 3, total: 9 });
      const ledger = await gw.app.services.store.readLedger(parent.team, null, 100);
      expect(ledger.reduce((sum, entry) => sum + entry.credits, 0)).toBe(9);
      const report = await gw.inject({
        method: 'GET',
        url: `/admin/usage?team=${parent.team}&from=${FIRST_DAY}&to=${today}`,
        headers: admin,
      });
      expect(report.json().totals.credits).toBe(9);
    } finally {
      redis.disconnect();
    }
  });
});
