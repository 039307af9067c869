// Exactness at scale: three gateway processes on one Redis, many keys in two teams with
// budgets, a random mix of completing, failing and erroring jobs. No budget is exceeded by a
// single credit, and ledger, aggregates, key and team spends and Apiframe's charges all agree.
// SCALE_REQUESTS sets the load (10,000 by default).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { windowsAt } from '../../src/domain/budgets.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
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

const REQUESTS = Number(process.env.SCALE_REQUESTS ?? 10_000);
const CONCURRENCY = 96;
const MIX = [
  ...Array(14).fill('ok'),
  'x [sim:fail]',
  'x [sim:fail]',
  'x [sim:cancel]',
  'x [sim:status=500]',
  'x [sim:status=503]',
  'x [sim:cost=1]',
];

let redis: RedisServer;
let sim: Simulator;
let admin: TestGateway;
let gateways: GatewayProcess[];

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0, prices: { 'seedream-4': 3 } });
  admin = await startGateway({ sim, redisUrl: redis.url });
  const env = {
    REDIS_URL: redis.url,
    APIFRAME_API_KEY: UPSTREAM_KEY,
    APIFRAME_BASE_URL: sim.url,
    RECONCILE_INTERVAL_MS: '600000',
    LOG_LEVEL: 'error',
  };
  gateways = await Promise.all([startGatewayProcess(env), startGatewayProcess(env), startGatewayProcess(env)]);
}, 60_000);
afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.stop()));
  await admin.close();
  await sim.close();
  await redis.destroy();
});

describe(`${REQUESTS} requests on 3 gateway processes`, () => {
  it('never exceeds a budget, and every account of the credits agrees', async () => {
    const budgets = { a: Math.round(REQUESTS * 1.2), b: Math.round(REQUESTS * 0.9) };
    const teams = { a: uniqueTeam(), b: uniqueTeam() };
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    await admin.inject({
      method: 'POST',
      url: '/admin/teams',
      headers,
      payload: { id: teams.a, budget: { credits: budgets.a, period: 'day' } },
    });
    await admin.inject({
      method: 'POST',
      url: '/admin/teams',
      headers,
      payload: { id: teams.b, budget: { credits: budgets.b, period: 'day' } },
    });
    const keys: { key: CreatedKey; budget: number | null }[] = [];
    for (let i = 0; i < 20; i++) {
      const budget = i % 4 === 0 ? Math.round(REQUESTS * 0.06) : null;
      keys.push({
        key: await admin.createKey({
          team: i % 2 ? teams.b : teams.a,
          budget: budget === null ? null : { credits: budget, period: 'day' },
        }),
        budget,
      });
    }
    const chargedBefore = sim.chargedCredits();

    const statuses: Record<number, number> = {};
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) {
          const n = next++;
          const { key } = keys[n % keys.length]!;
          const gateway = gateways[n % gateways.length]!;
          const response = await fetch(`${gateway.url}/v2/images/generate`, {
            method: 'POST',
            headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
            body: JSON.stringify({ ...SEED_BODY, prompt: MIX[(n * 7) % MIX.length] }),
          });
          statuses[response.status] = (statuses[response.status] ?? 0) + 1;
          const answer = (await response.json()) as { jobId?: string };
          if (response.status === 202 && n % 3 === 0) {
            await fetch(`${gateway.url}/v2/jobs/${answer.jobId}`, { headers: { 'x-api-key': key.key } }).then((r) =>
              r.arrayBuffer(),
            );
          }
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;

    const store = admin.app.services.store;
    for (let pass = 0; pass < 50 && (await store.pendingJobCount()) > 0; pass++)
      await admin.app.services.backgroundSettlement.settleOnce();
    expect(await store.pendingJobCount()).toBe(0);

    const windows = windowsAt(Date.now());
    const spends = await Promise.all(keys.map(({ key }) => store.spend({ team: key.team, keyId: key.id, windows })));
    for (const [i, { budget }] of keys.entries())
      if (budget !== null) expect(spends[i]!.key.total).toBeLessThanOrEqual(budget);
    const teamSpend = async (team: string) => (await store.spend({ team, windows })).team.total!;
    expect(await teamSpend(teams.a)).toBeLessThanOrEqual(budgets.a);
    expect(await teamSpend(teams.b)).toBeLessThanOrEqual(budgets.b);

    let ledger = 0;
    let entries = 0;
    for (const team of [teams.a, teams.b]) {
      let after: string | null = null;
      for (;;) {
        const page = await store.readLedger(team, after, 5_000);
        ledger += page.reduce((sum, entry) => sum + entry.credits, 0);
        entries += page.length;
        if (page.length < 5_000) break;
        after = page.at(-1)!.id;
      }
    }
    const keyTotal = spends.reduce((sum, spend) => sum + spend.key.total!, 0);
    const teamTotal = (await teamSpend(teams.a)) + (await teamSpend(teams.b));
    const report = (await admin.inject({ method: 'GET', url: '/admin/usage?groupBy=team,key,day', headers })).json();
    const reported = report.rows
      .filter((row: { team: string }) => row.team === teams.a || row.team === teams.b)
      .reduce((sum: number, row: { credits: number }) => sum + row.credits, 0);
    const charged = sim.chargedCredits() - chargedBefore;

    expect({ ledger, aggregates: reported, keys: keyTotal, teams: teamTotal }).toEqual({
      ledger: charged,
      aggregates: charged,
      keys: charged,
      teams: charged,
    });
    expect(
      Object.keys(statuses)
        .map(Number)
        .every((status) => [202, 402, 502].includes(status)),
    ).toBe(true);
    console.log(
      `scale: ${REQUESTS} requests in ${seconds.toFixed(1)} s on 3 processes (${JSON.stringify(statuses)}), ${entries} ledger entries, ` +
        `${charged} credits charged = ledger = aggregates = key spends = team spends; budgets a ${await teamSpend(teams.a)}/${budgets.a}, b ${await teamSpend(teams.b)}/${budgets.b}`,
    );
  }, 300_000);
});
