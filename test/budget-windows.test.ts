import { describe, expect, it } from 'vitest';
import { windowOf } from '../src/domain/budgets.js';
import { gatewayOnRedis, testClock } from './helpers/gateway.js';

const clock = testClock('2026-11-30T23:59:00.000Z');
const context = gatewayOnRedis({ clock });

describe('budget windows (UTC calendar periods)', () => {
  it('names windows by UTC day and month', () => {
    const at = Date.parse('2026-12-01T00:30:00+02:00');
    expect(windowOf('day', at)).toBe('2026-11-30');
    expect(windowOf('month', at)).toBe('2026-11');
    expect(windowOf('total', at)).toBe('total');
  });

  it('lets a monthly budget exhausted on Nov 30 spend again on Dec 1', async () => {
    const { gw } = context;
    const key = await gw.createKey({ budget: { credits: 6, period: 'month' } });
    expect((await gw.generate(key.key)).statusCode).toBe(202);
    expect((await gw.generate(key.key)).statusCode).toBe(202);
    expect((await gw.generate(key.key)).statusCode).toBe(402);
    clock.set('2026-12-01T00:00:00.000Z');
    expect((await gw.generate(key.key)).statusCode).toBe(202);
    expect((await gw.spend(key)).month).toBe(3);
    expect((await gw.spend(key)).total).toBe(9);
  });

  it('lets a daily budget spend again the next UTC day', async () => {
    const { gw } = context;
    clock.set('2026-12-02T23:59:59.000Z');
    const key = await gw.createKey({ budget: { credits: 3, period: 'day' } });
    expect((await gw.generate(key.key)).statusCode).toBe(202);
    expect((await gw.generate(key.key)).statusCode).toBe(402);
    clock.advance(1_000);
    expect((await gw.generate(key.key)).statusCode).toBe(202);
  });

  it('never resets a total budget', async () => {
    const { gw } = context;
    const key = await gw.createKey({ budget: { credits: 3, period: 'total' } });
    expect((await gw.generate(key.key)).statusCode).toBe(202);
    clock.advance(400 * 86_400_000);
    expect((await gw.generate(key.key)).statusCode).toBe(402);
  });
});
