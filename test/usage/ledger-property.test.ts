// Property: after any mix of completed, failed, cancelled, costed and refused jobs, run
// concurrently on two gateway instances, every account of the credits agrees:
// sum(ledger) == report under any grouping == sum(key spends) == sum(team spends)
// == credits Apiframe charged, and no budget is exceeded.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { windowsAt } from '../../src/domain/budgets.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import {
  ADMIN_TOKEN,
  SEED_BODY,
  startGateway,
  uniqueTeam,
  UPSTREAM_KEY,
  type CreatedKey,
  type TestGateway,
} from '../helpers/gateway.js';

let redis: RedisServer;
let sim: Simulator;
let instances: TestGateway[];
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const RUNS = Number(process.env.PROPERTY_RUNS ?? 12);

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0, prices: { 'seedream-4': 3 } });
  instances = [await startGateway({ sim, redisUrl: redis.url }), await startGateway({ sim, redisUrl: redis.url })];
});
afterAll(async () => {
  for (const gw of instances) await gw.close();
  await sim.close();
  await redis.destroy();
});

const OUTCOMES = [
  'ok',
  '[sim:fail]',
  '[sim:cancel]',
  '[sim:cost=0]',
  '[sim:cost=1]',
  '[sim:cost=2]',
  '[sim:status=500]',
  '[sim:status=503]',
  '[sim:status=402]',
] as const;
const budget = fc.option(
  fc.record({ credits: fc.integer({ min: 0, max: 90 }), period: fc.constantFrom('day', 'month', 'total') }),
  { nil: null },
);
const workload = fc.record({
  teamBudgets: fc.tuple(budget, budget),
  keyBudgets: fc.tuple(budget, budget, budget),
  calls: fc.array(
    fc.record({
      key: fc.integer({ min: 0, max: 2 }),
      instance: fc.integer({ min: 0, max: 1 }),
      outcome: fc.constantFrom(...OUTCOMES),
      poll: fc.boolean(),
    }),
    { minLength: 10, maxLength: 60 },
  ),
});

describe('the ledger under a randomized workload on two instances', () => {
  it('agrees with every other account of the credits', async () => {
    let totalCalls = 0;
    let totalCredits = 0;
    await fc.assert(
      fc.asyncProperty(workload, async ({ teamBudgets, keyBudgets, calls }) => {
        const [gw] = instances as [TestGateway, TestGateway];
        const teams = [uniqueTeam(), uniqueTeam()];
        for (const [i, team] of teams.entries()) {
          await gw.inject({
            method: 'POST',
            url: '/admin/teams',
            headers: admin,
            payload: { id: team, budget: teamBudgets[i] },
          });
        }
        const keys: CreatedKey[] = [];
        for (const [i, keyBudget] of keyBudgets.entries())
          keys.push(await gw.createKey({ team: teams[i % 2], budget: keyBudget }));
        const chargedBefore = sim.chargedCredits();

        await Promise.all(
          calls.map(async (call) => {
            const instance = instances[call.instance]!;
            const key = keys[call.key]!;
            const response = await instance.generate(key.key, { ...SEED_BODY, prompt: `p ${call.outcome}` });
            if (response.statusCode === 202 && call.poll) await instance.poll(key.key, response.json().jobId);
          }),
        );
        await instances[1]!.app.services.backgroundSettlement.settleOnce();

        const charged = sim.chargedCredits() - chargedBefore;
        const windows = windowsAt(Date.now());
        const spends = await Promise.all(
          keys.map((key) => gw.app.services.store.spend({ team: key.team, keyId: key.id, windows })),
        );
        const keyTotal = spends.reduce((sum, spend) => sum + spend.key.total!, 0);
        const teamTotal = (
          await Promise.all(teams.map((team) => gw.app.services.store.spend({ team, windows })))
        ).reduce((sum, spend) => sum + spend.team.total!, 0);
        let ledgerTotal = 0;
        const reportTotals: number[] = [];
        for (const team of teams) {
          const events = (
            await gw.inject({ method: 'GET', url: `/admin/usage/events?team=${team}&limit=1000`, headers: admin })
          ).json().events;
          ledgerTotal += events.reduce((sum: number, entry: { credits: number }) => sum + entry.credits, 0);
        }
        for (const groupBy of ['team', 'key', 'model', 'day', 'team,key,model,day']) {
          let sum = 0;
          for (const team of teams) {
            const report = (
              await gw.inject({ method: 'GET', url: `/admin/usage?team=${team}&groupBy=${groupBy}`, headers: admin })
            ).json();
            sum += report.rows.reduce((total: number, row: { credits: number }) => total + row.credits, 0);
          }
          reportTotals.push(sum);
        }
        expect(keyTotal).toBe(charged);
        expect(teamTotal).toBe(charged);
        expect(ledgerTotal).toBe(charged);
        expect(reportTotals).toEqual(reportTotals.map(() => charged));

        for (const [i, keyBudget] of keyBudgets.entries()) {
          if (keyBudget) expect(spends[i]!.key.total).toBeLessThanOrEqual(keyBudget.credits);
        }
        for (const [i, team] of teams.entries()) {
          const teamBudget = teamBudgets[i];
          const spent = (await gw.app.services.store.spend({ team, windows })).team.total!;
          if (teamBudget) expect(spent).toBeLessThanOrEqual(teamBudget.credits);
        }
        totalCalls += calls.length;
        totalCredits += charged;
      }),
      { numRuns: RUNS },
    );
    console.log(
      `ledger property: ${RUNS} randomized workloads, ${totalCalls} calls on 2 instances, ${totalCredits} credits; ledger, reports, key and team spends and Apiframe charges agreed every time`,
    );
  }, 120_000);
});
