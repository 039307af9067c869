// On Redis Cluster a master short of replicas stops only its own slots' money writes: the teams
// whose money it holds get 503s (nothing forwarded), every other team is served, the gateway stays
// ready, and the short master's teams are served again once its replica catches up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, uniqueTeam, type CreatedKey, type TestGateway } from '../helpers/gateway.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';

let cluster: RedisCluster;
let gw: TestGateway;
beforeAll(async () => {
  cluster = await startRedisCluster({ replicas: 1 });
  gw = await startGateway({ env: { REDIS_CLUSTER_NODES: cluster.nodes, REDIS_TIMEOUT_MS: '300' } });
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await cluster?.destroy();
});

const masterOfTeam = (team: string) => cluster.masterOf(`gw:{t:${team}}`);

/** Keys of two teams whose money lives on different masters, and the first one's master. */
async function teamsOnTwoMasters(): Promise<{ hit: CreatedKey; spared: CreatedKey; master: number }> {
  const hit = await gw.createKey();
  const master = await masterOfTeam(hit.team);
  let team = uniqueTeam();
  while ((await masterOfTeam(team)) === master) team = uniqueTeam();
  return { hit, spared: await gw.createKey({ team }), master };
}

describe('a Cluster master whose replica stops acknowledging', () => {
  it("refuses its own teams' money writes and serves every other team's", async () => {
    const { hit, spared, master } = await teamsOnTwoMasters();
    for (const key of [hit, spared]) expect((await gw.generate(key.key)).statusCode).toBe(202);
    const replica = await cluster.replicaOf(master);
    const submissions = () => gw.sim.requests.filter((request) => request.method === 'POST').length;
    const forwarded = submissions();

    cluster.signal(replica, 'SIGSTOP');
    try {
      // Silent for longer than a replica's acknowledgements may lag: the master counts as short.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      const ready = await gw.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode, ready.body).toBe(200);
      for (let attempt = 0; attempt < 3; attempt++) {
        const refused = await gw.generate(hit.key);
        expect(refused.statusCode, refused.body).toBe(503);
        expect((await gw.generate(spared.key)).statusCode).toBe(202);
      }
      expect(submissions(), 'only the spared team reached Apiframe').toBe(forwarded + 3);
    } finally {
      cluster.signal(replica, 'SIGCONT');
    }

    let status = 0;
    for (let attempt = 0; status !== 202; attempt++) {
      expect(attempt, 'served again once the replica caught up').toBeLessThan(100);
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (await gw.generate(hit.key)).statusCode;
    }
  }, 60_000);
});
