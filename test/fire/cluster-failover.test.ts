// Redis Cluster failover under load: two gateway processes on 3 masters with a replica each
// take generates and polls on budgets that run out; the master holding a team's slot is
// SIGKILLed mid-load and its replica takes over. The gateways follow on their own (503s
// meanwhile), and once the dust settles every job answered 202 is recorded and settled once, the
// five accounts agree with Apiframe's charges, no budget is exceeded, and no credit is lost or
// charged twice. FAILOVER_REQUESTS sets how many requests are answered before the kill (the
// same number after).
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { failOverUnderLoad } from '../helpers/failover-load.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { startGateway, UPSTREAM_KEY, type TestGateway } from '../helpers/gateway.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';

const REQUESTS = Number(process.env.FAILOVER_REQUESTS ?? 300);
const CONCURRENCY = 48;
const REPLICA_LAG_MS = 300;
/** The shortest lease the configuration accepts with these timeouts (requests caught in the kill leave theirs open). */
const TIMEOUTS = { REDIS_TIMEOUT_MS: '500', UPSTREAM_TIMEOUT_MS: '1000', RESERVATION_LEASE_MS: '6500' };

let cluster: RedisCluster;
let sim: Simulator;
let admin: TestGateway;
let gateways: GatewayProcess[];
let slotKey: string;
let formerMaster: number;

beforeAll(async () => {
  cluster = await startRedisCluster({ replicas: 1, nodeTimeoutMs: 1000 });
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0, prices: { 'seedream-4': 3 } });
  const env = {
    REDIS_CLUSTER_NODES: cluster.nodes,
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
  await cluster?.destroy();
});

describe('a Redis Cluster failover under load', () => {
  it("serves again without a restart when a team's master dies, and loses or double-charges no credit", async () => {
    await failOverUnderLoad({
      name: 'cluster failover',
      admin,
      sim,
      gateways,
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      async kill(budgeted) {
        // The master holding the first team's money, its replication link broken (the replica
        // frozen for less than the node timeout) while it goes on answering, then it dies.
        const team = budgeted.teams[0]!.id;
        slotKey = `gw:{t:${team}}`;
        formerMaster = await cluster.masterOf(slotKey);
        const replica = await cluster.replicaOf(formerMaster);
        cluster.signal(replica, 'SIGSTOP');
        await cluster.dropReplicaLinks(formerMaster);
        await new Promise((resolve) => setTimeout(resolve, REPLICA_LAG_MS));
        await cluster.kill(formerMaster);
        const at = Date.now();
        cluster.signal(replica, 'SIGCONT');
        return { at, team };
      },
      async recover(killedAt) {
        const promoted = await cluster.waitForNewMaster(slotKey, formerMaster);
        const promotedAfter = Date.now() - killedAt;
        // With one replica per master, the promoted one has none: the operator brings the dead
        // node back, and it rejoins as its replica (money writes wait for it, REDIS_MIN_REPLICAS).
        await cluster.restart(formerMaster);
        const back = `${formerMaster} back as its replica`;
        return `master ${formerMaster} killed, ${promoted} promoted after ${promotedAfter} ms, ${back}`;
      },
    });
  }, 120_000);
});
