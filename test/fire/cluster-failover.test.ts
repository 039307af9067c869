// Redis Cluster failover under load: two gateway processes on 3 masters with a replica each
// take generates and polls on budgets that run out; the master holding a team's slot is
// SIGKILLed mid-load and its replica takes over. The gateways follow on their own (503s
// meanwhile), and once the dust settles every job answered 202 is recorded and settled once, the
// five accounts agree with Apiframe's charges, no budget is exceeded, and no credit is lost or
// charged twice. FAILOVER_REQUESTS sets how many requests are answered before the kill (the
// same number after).
import { describe, it } from 'vitest';
import { failOverUnderLoad } from '../helpers/failover-load.js';
import {
  FAILOVER_CONCURRENCY,
  FAILOVER_REQUESTS,
  failoverGateways,
  REPLICA_LAG_MS,
} from '../helpers/failover-gateways.js';
import { startRedisCluster } from '../helpers/redis-cluster.js';

const ctx = failoverGateways(
  () => startRedisCluster({ replicas: 1, nodeTimeoutMs: 1000 }),
  (cluster) => ({ REDIS_CLUSTER_NODES: cluster.nodes }),
);
let slotKey: string;
let formerMaster: number;

describe('a Redis Cluster failover under load', () => {
  it("serves again without a restart when a team's master dies, and loses or double-charges no credit", async () => {
    await failOverUnderLoad({
      name: 'cluster failover',
      ...ctx,
      requests: FAILOVER_REQUESTS,
      concurrency: FAILOVER_CONCURRENCY,
      async kill(budgeted) {
        // The master holding the first team's money, its replication link broken (the replica
        // frozen for less than the node timeout) while it goes on answering, then it dies.
        const team = budgeted.teams[0]!.id;
        slotKey = `gw:{t:${team}}`;
        formerMaster = await ctx.deployment.masterOf(slotKey);
        const replica = await ctx.deployment.replicaOf(formerMaster);
        ctx.deployment.signal(replica, 'SIGSTOP');
        await ctx.deployment.dropReplicaLinks(formerMaster);
        await new Promise((resolve) => setTimeout(resolve, REPLICA_LAG_MS));
        await ctx.deployment.kill(formerMaster);
        const at = Date.now();
        ctx.deployment.signal(replica, 'SIGCONT');
        return { at, team };
      },
      async recover(killedAt) {
        const promoted = await ctx.deployment.waitForNewMaster(slotKey, formerMaster);
        const promotedAfter = Date.now() - killedAt;
        // With one replica per master, the promoted one has none: the operator brings the dead
        // node back, and it rejoins as its replica (money writes wait for it, REDIS_MIN_REPLICAS).
        await ctx.deployment.restart(formerMaster);
        const back = `${formerMaster} back as its replica`;
        return `master ${formerMaster} killed, ${promoted} promoted after ${promotedAfter} ms, ${back}`;
      },
    });
  }, 120_000);
});
