// 50 concurrent video jobs of variable price (a per-second model of Apiframe's catalogue, durations
// of 2 to 10 s, each charged anywhere in the catalogue's range) on a small budget, on Redis, in one
// gateway and across two gateway processes: each reserves its upper bound, so the budget is never
// exceeded at any moment; once settled, spend is what Apiframe charged, and the ledger, the daily
// aggregates, the key's and the team's spends all agree with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { windowsAt } from '../src/domain/budgets.js';
import { startSimulator, type Simulator } from '../src/simulator/simulator.js';
import { type CreatedKey, startGateway, type TestGateway, UPSTREAM_KEY, uniqueTeam } from './helpers/gateway.js';
import { type GatewayProcess, startGatewayProcess } from './helpers/gateway-process.js';
import { type RedisServer, startRedis } from './helpers/redis-server.js';

const BUDGET = 200;
const CATALOGUE_PRICES = { CATALOGUE_REFRESH_MS: '3600000' };
/** wan-2.7-videoedit: 4 to 6 credits a second in the simulator's catalogue, reserved at 6. */
const edit = (i: number) => ({
  model: 'wan-2.7-videoedit',
  prompt: `clip ${i} in snow`,
  wan27VideoeditParams: { video: 'https://example.com/clip.mp4', duration: 2 + (i % 9) },
});

let redis: RedisServer;
let sim: Simulator;
let admin: TestGateway;

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0, varyCosts: true });
  admin = await startGateway({ sim, redisUrl: redis.url, env: CATALOGUE_PRICES });
}, 60_000);
afterAll(async () => {
  await admin.close();
  await sim.close();
  await redis.destroy();
});

/** Samples the key's day spend until `work` ends; the highest seen. */
async function highestSpendDuring(key: CreatedKey, work: Promise<unknown>): Promise<number> {
  let done = false;
  let highest = 0;
  const sampling = (async () => {
    while (!done) {
      highest = Math.max(highest, (await admin.spend(key)).day);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  await work.finally(() => {
    done = true;
  });
  await sampling;
  return highest;
}

/** Every account of the team's credits, once its jobs are settled. */
async function accounts(key: CreatedKey) {
  const { store } = admin.app.services;
  const windows = windowsAt(Date.now());
  const spend = await store.spend({ team: key.team, keyId: key.id, windows });
  const ledger = await store.readLedger(key.team, null, 10_000);
  const aggregates = await store.aggregates(key.team, [windows[0]!]);
  return {
    key: spend.key.total ?? 0,
    team: spend.team.total ?? 0,
    ledger: ledger.reduce((sum, entry) => sum + entry.credits, 0),
    aggregates: aggregates.reduce((sum, cell) => sum + cell.credits, 0),
  };
}

async function expectSettledAccountsAgree(key: CreatedKey, chargedBefore: number) {
  await admin.app.services.backgroundSettlement.settleOnce();
  const charged = sim.chargedCredits() - chargedBefore;
  expect(charged).toBeGreaterThan(0);
  expect(charged).toBeLessThanOrEqual(BUDGET);
  expect(await accounts(key)).toEqual({ key: charged, team: charged, ledger: charged, aggregates: charged });
  // Each job reserved its upper bound and was charged less, almost surely, by the simulator's range.
  const ledger = await admin.app.services.store.readLedger(key.team, null, 10_000);
  const reserved = ledger.filter((entry) => entry.kind === 'reserve').reduce((sum, entry) => sum + entry.credits, 0);
  expect(reserved).toBeGreaterThan(charged);
  return charged;
}

describe('50 concurrent video jobs of variable price on a 200-credit budget', () => {
  it('never exceed the budget in one gateway on Redis, and spend what Apiframe charged', async () => {
    const key = await admin.createKey({ team: uniqueTeam(), budget: { credits: BUDGET, period: 'day' } });
    const chargedBefore = sim.chargedCredits();
    const submit = (i: number) =>
      admin.inject({ method: 'POST', url: '/v2/videos/edit', headers: { 'x-api-key': key.key }, payload: edit(i) });
    const running = Promise.all(Array.from({ length: 50 }, (_, i) => submit(i)));
    expect(await highestSpendDuring(key, running)).toBeLessThanOrEqual(BUDGET);
    const responses = await running;
    const accepted = responses.filter((response) => response.statusCode === 202);
    expect(accepted.length).toBeGreaterThan(0);
    expect(responses.every((response) => [202, 402].includes(response.statusCode))).toBe(true);
    for (const response of accepted) await admin.poll(key.key, response.json().jobId);
    const charged = await expectSettledAccountsAgree(key, chargedBefore);
    console.log(`[1 gateway] ${accepted.length} of 50 variable-price jobs ran; charged ${charged} of ${BUDGET}`);
  });

  describe('on two gateway processes sharing one Redis', () => {
    let gateways: GatewayProcess[];
    beforeAll(async () => {
      const env = { REDIS_URL: redis.url, APIFRAME_API_KEY: UPSTREAM_KEY, APIFRAME_BASE_URL: sim.url };
      gateways = await Promise.all([1, 2].map(() => startGatewayProcess({ ...env, ...CATALOGUE_PRICES })));
    }, 60_000);
    afterAll(async () => {
      expect(await Promise.all(gateways.map((gateway) => gateway.stop()))).toEqual([0, 0]);
    });

    it('never exceed the budget, and spend what Apiframe charged', async () => {
      const key = await admin.createKey({ team: uniqueTeam(), budget: { credits: BUDGET, period: 'day' } });
      const chargedBefore = sim.chargedCredits();
      const headers = { 'x-api-key': key.key, 'content-type': 'application/json' };
      const submit = async (i: number) => {
        const url = `${gateways[i % 2]!.url}/v2/videos/edit`;
        const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(edit(i)) });
        return { status: response.status, body: (await response.json()) as { jobId?: string } };
      };
      const running = Promise.all(Array.from({ length: 50 }, (_, i) => submit(i)));
      expect(await highestSpendDuring(key, running)).toBeLessThanOrEqual(BUDGET);
      const responses = await running;
      expect(responses.every((response) => [202, 402].includes(response.status))).toBe(true);
      const accepted = responses.filter((response) => response.status === 202);
      for (const [i, response] of accepted.entries()) {
        await fetch(`${gateways[i % 2]!.url}/v2/jobs/${response.body.jobId}`, { headers });
      }
      const charged = await expectSettledAccountsAgree(key, chargedBefore);
      console.log(`[2 processes] ${accepted.length} of 50 variable-price jobs ran; charged ${charged} of ${BUDGET}`);
    });
  });
});
