// Sentinel failover under load: two gateway processes on a Sentinel-managed primary and replica
// take generates and polls on budgets that run out; the primary is SIGKILLed mid-load and the
// sentinels promote the replica. The gateways follow on their own (503s meanwhile), and once the
// dust settles every job answered 202 is recorded and settled once, the five accounts agree with
// Apiframe's charges, no budget is exceeded, and no credit is lost or charged twice.
// FAILOVER_REQUESTS sets how many requests are answered before the kill (the same number after).
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { failOverUnderLoad } from '../helpers/failover-load.js';
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
let formerPrimary: number;

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
    await failOverUnderLoad({
      name: 'sentinel failover',
      admin,
      sim,
      gateways,
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      async kill() {
        // The worst moment, as in the reproduction: the replication links are broken (the
        // replicas frozen for less than the sentinels' down-after) while the primary goes on
        // answering, then it dies. Only writes held back until a replica acknowledged them are safe.
        for (const index of [0, 1]) deployment.replicated.pauseReplica(index);
        await deployment.dropReplicaLinks();
        await new Promise((resolve) => setTimeout(resolve, REPLICA_LAG_MS));
        formerPrimary = await deployment.killPrimary();
        const at = Date.now();
        for (const index of [0, 1]) deployment.replicated.resumeReplica(index);
        return { at };
      },
      async recover(killedAt) {
        const promoted = await deployment.waitForPromotion(formerPrimary);
        return `primary ${formerPrimary} killed, ${promoted} promoted after ${Date.now() - killedAt} ms`;
      },
    });
  }, 120_000);
});
