// Sentinel failover under load: two gateway processes on a Sentinel-managed primary and replica
// take generates and polls on budgets that run out; the primary is SIGKILLed mid-load and the
// sentinels promote the replica. The gateways follow on their own (503s meanwhile), and once the
// dust settles every job answered 202 is recorded and settled once, the five accounts agree with
// Apiframe's charges, no budget is exceeded, and no credit is lost or charged twice.
// FAILOVER_REQUESTS sets how many requests are answered before the kill (the same number after).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import {
  auditAccounts,
  createBudgetedKeys,
  firstAcceptedAfter,
  settleEverything,
  startLoad,
} from '../helpers/failover-load.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { startGateway, UPSTREAM_KEY, type TestGateway } from '../helpers/gateway.js';
import { SENTINEL_MASTER, startRedisSentinel, type RedisSentinel } from '../helpers/redis-sentinel.js';

const REQUESTS = Number(process.env.FAILOVER_REQUESTS ?? 300);
const CONCURRENCY = 48;
const REPLICA_LAG_MS = 300;
/** The shortest lease the configuration accepts with these timeouts (requests caught in the kill leave theirs open). */
const TIMEOUTS = { REDIS_TIMEOUT_MS: '500', UPSTREAM_TIMEOUT_MS: '1000', RESERVATION_LEASE_MS: '6500' };

let deployment: RedisSentinel;
let sim: Simulator;
let admin: TestGateway;
let gateways: GatewayProcess[];

beforeAll(async () => {
  // Two replicas: after the failover one still follows the new primary, so money writes are
  // replicated (REDIS_MIN_REPLICAS, automatic: 1) without waiting for the dead node to return.
  deployment = await startRedisSentinel({ replicas: 2 });
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0, prices: { 'seedream-4': 3 } });
  const env = {
    REDIS_SENTINELS: deployment.sentinels,
    REDIS_SENTINEL_MASTER: SENTINEL_MASTER,
    APIFRAME_API_KEY: UPSTREAM_KEY,
    APIFRAME_BASE_URL: sim.url,
    ...TIMEOUTS,
  };
  admin = await startGateway({ sim, env });
  // Each process records on its own reconciler passes the accepted jobs the failover kept it from recording.
  const processEnv = { ...env, RECONCILE_INTERVAL_MS: '1000', LOG_LEVEL: 'fatal' };
  gateways = await Promise.all([startGatewayProcess(processEnv), startGatewayProcess(processEnv)]);
}, 60_000);
afterAll(async () => {
  await Promise.all((gateways ?? []).map((gateway) => gateway.stop()));
  await admin?.close();
  await sim?.close();
  await deployment?.destroy();
});

describe('a Sentinel failover under load', () => {
  it('serves again without a restart, and loses or double-charges no credit', async () => {
    const budgeted = await createBudgetedKeys(admin, [Math.round(REQUESTS * 1.3), REQUESTS]);
    const load = startLoad(gateways, budgeted, CONCURRENCY);
    await load.answered(REQUESTS);
    // The worst moment, as in the reproduction: the replication link is broken (the replica
    // frozen for less than the sentinels' down-after) while the primary goes on answering, then the
    // primary dies. Only writes the gateway held back until a replica acknowledged them are safe.
    for (const index of [0, 1]) deployment.replicated.pauseReplica(index);
    await deployment.dropReplicaLinks();
    await new Promise((resolve) => setTimeout(resolve, REPLICA_LAG_MS));
    const formerPrimary = await deployment.killPrimary();
    const killedAt = Date.now();
    for (const index of [0, 1]) deployment.replicated.resumeReplica(index);
    const promoted = await deployment.waitForPromotion(formerPrimary);
    const promotedAfter = Date.now() - killedAt;
    const bothServing = () => gateways.every((_, index) => firstAcceptedAfter(load.answers, killedAt, index) !== null);
    for (let waited = 0; !bothServing(); waited += 50) {
      expect(waited, 'both gateways accept jobs within 20 s of the kill').toBeLessThan(20_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await load.answered(load.answers.length + REQUESTS);
    await load.stop();
    const recovery = firstAcceptedAfter(load.answers, killedAt)!;
    const refused = load.answers.filter((answer) => answer.status === 503).length;

    await settleEverything(admin, load, 15_000);
    const audit = await auditAccounts(admin, sim, budgeted, load);
    console.log(
      `sentinel failover: ${load.answers.length} answers ${JSON.stringify(load.statuses)}; primary ${formerPrimary} killed, ` +
        `${promoted} promoted after ${promotedAfter} ms, first 202 ${recovery} ms after the kill, ${refused} 503s; ` +
        `${load.accepted.length} jobs accepted (${audit.notSettledOnce.length} not settled once), ${audit.charged} credits ` +
        `charged, ledger ${audit.ledger}, aggregates ${audit.aggregates}, key spends ${audit.keys}, team spends ` +
        `${audit.teams}; credits lost ${audit.lost}, double-charged ${audit.doubleCharged}`,
    );
    expect(audit.notSettledOnce).toEqual([]);
    expect(audit.overBudget).toEqual([]);
    expect({ lost: audit.lost, doubleCharged: audit.doubleCharged }).toEqual({ lost: 0, doubleCharged: 0 });
    expect(audit).toMatchObject({
      ledger: audit.charged,
      aggregates: audit.charged,
      keys: audit.charged,
      teams: audit.charged,
    });
    expect(load.statuses[402], 'the budgets ran out').toBeGreaterThan(0);
    expect(refused, 'the failover was seen').toBeGreaterThan(0);
    expect(Object.keys(load.statuses).every((status) => ['200', '202', '402', '502', '503'].includes(status))).toBe(
      true,
    );
  }, 60_000);
});
