// Sentinel failover under load: two gateway processes on a Sentinel-managed primary and replica
// take generates and polls on budgets that run out; the primary is SIGKILLed mid-load and the
// sentinels promote the replica. The gateways follow on their own (503s meanwhile), and once the
// dust settles every job answered 202 is recorded and settled once, the five accounts agree with
// Apiframe's charges, no budget is exceeded, and no credit is lost or charged twice.
// FAILOVER_REQUESTS sets how many requests are answered before the kill (the same number after).
import { describe, it } from 'vitest';
import { failOverUnderLoad } from '../helpers/failover-load.js';
import {
  FAILOVER_CONCURRENCY,
  FAILOVER_REQUESTS,
  failoverGateways,
  REPLICA_LAG_MS,
} from '../helpers/failover-gateways.js';
import { SENTINEL_MASTER, startRedisSentinel } from '../helpers/redis-sentinel.js';

// Two replicas: after the failover one still follows the new primary, so money writes are
// replicated (REDIS_MIN_REPLICAS, automatic: 1) without waiting for the dead node to return.
const ctx = failoverGateways(
  () => startRedisSentinel({ replicas: 2 }),
  (deployment) => ({ REDIS_SENTINELS: deployment.sentinels, REDIS_SENTINEL_MASTER: SENTINEL_MASTER }),
);
let formerPrimary: number;

describe('a Sentinel failover under load', () => {
  it('serves again without a restart, and loses or double-charges no credit', async () => {
    await failOverUnderLoad({
      name: 'sentinel failover',
      ...ctx,
      requests: FAILOVER_REQUESTS,
      concurrency: FAILOVER_CONCURRENCY,
      async kill() {
        // The worst moment, as in the reproduction: the replication links are broken (the
        // replicas frozen for less than the sentinels' down-after) while the primary goes on
        // answering, then it dies. Only writes held back until a replica acknowledged them are safe.
        for (const index of [0, 1]) ctx.deployment.replicated.pauseReplica(index);
        await ctx.deployment.dropReplicaLinks();
        await new Promise((resolve) => setTimeout(resolve, REPLICA_LAG_MS));
        formerPrimary = await ctx.deployment.killPrimary();
        const at = Date.now();
        for (const index of [0, 1]) ctx.deployment.replicated.resumeReplica(index);
        return { at };
      },
      async recover(killedAt) {
        const promoted = await ctx.deployment.waitForPromotion(formerPrimary);
        return `primary ${formerPrimary} killed, ${promoted} promoted after ${Date.now() - killedAt} ms`;
      },
    });
  }, 120_000);
});
