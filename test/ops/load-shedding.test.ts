// Load shedding: when the event loop falls behind MAX_EVENT_LOOP_DELAY_MS, new requests get an
// Apiframe-shaped 503 with Retry-After, cost nothing, and service resumes once it catches up.
// The gateway runs in this process, so blocking this event loop blocks the gateway's.
// The threshold (150 ms) stays above the lags a busy CI machine causes on its own, and the key is
// made once the gateway has caught up with its start, so only the test's own blocking sheds.
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type CreatedKey, gatewayOnRedis, uniqueTeam } from '../helpers/gateway.js';

const ctx = gatewayOnRedis({ env: { MAX_EVENT_LOOP_DELAY_MS: '150' } });

function blockEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy: no timer or I/O runs meanwhile
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

/** A key, once the gateway has caught up with its own start (which can lag its event loop too). */
async function keyOnceAccepting(): Promise<CreatedKey> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const response = await ctx.gw.inject({
      method: 'POST',
      url: '/admin/keys',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { name: 'shedding', team: uniqueTeam() },
    });
    if (response.statusCode !== 503) {
      expect(response.statusCode, response.body).toBe(201);
      return response.json();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the gateway never caught up with its start');
}

describe('load shedding', () => {
  it('answers 503 with Retry-After while the event loop lags, charges nothing, and recovers', async () => {
    const key = await keyOnceAccepting();
    const generate = () => ctx.gw.generate(key.key);

    // The gateway samples its event-loop delay about once a second.
    let shed: Awaited<ReturnType<typeof generate>> | undefined;
    let spentBefore = 0;
    for (let attempt = 0; attempt < 20 && !shed; attempt++) {
      spentBefore = (await ctx.gw.spend(key)).total;
      blockEventLoop(600);
      await tick();
      const response = await generate();
      if (response.statusCode === 503) shed = response;
    }
    expect(shed, 'no request was shed').toBeDefined();
    expect(shed!.headers['retry-after']).toBe('10');
    expect(shed!.json()).toEqual({ error: 'Gateway overloaded; retry later', code: 'GW_OVERLOADED' });
    expect((await ctx.gw.spend(key)).total).toBe(spentBefore);

    let recovered = false;
    for (let attempt = 0; attempt < 100 && !recovered; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      recovered = (await generate()).statusCode === 202;
    }
    expect(recovered).toBe(true);
    expect((await ctx.gw.spend(key)).total).toBe(spentBefore + 3);
  });
});
