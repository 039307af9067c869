// Acknowledged means replicated: with a replica behind the primary, every write the gateway
// answered for (reservation, job record, settlement, ledger entry) is on the replica when the
// answer leaves; a replica that cannot keep up turns money writes into 503s with nothing sent to
// Apiframe and nothing charged, and the gateway recovers when it catches up.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { windowOf } from '../../src/domain/budgets.js';
import { teamKeys } from '../../src/services/store/redis-context.js';
import { SEED_BODY, startGateway, testClock, type CreatedKey, type TestGateway } from '../helpers/gateway.js';
import { startReplicatedRedis, type ReplicatedRedis } from '../helpers/redis-replicated.js';

const REDIS_TIMEOUT_MS = 300;
const LEASE_MS = 6_000;
const env = {
  REDIS_TIMEOUT_MS: String(REDIS_TIMEOUT_MS),
  UPSTREAM_TIMEOUT_MS: '500',
  RESERVATION_LEASE_MS: String(LEASE_MS),
};

let redis: ReplicatedRedis;
let replica: Redis;
const clock = testClock();
let gw: TestGateway;
beforeAll(async () => {
  redis = await startReplicatedRedis({ replicas: 1 });
  replica = new Redis(redis.replicaUrls[0]!);
  gw = await startGateway({ redisUrl: redis.url, clock, env });
});
afterAll(async () => {
  replica.disconnect();
  await gw.close();
  await redis.destroy();
});

/** The team's ledger as the replica holds it, `kind credits` per entry. */
async function replicaLedger(team: string): Promise<string[]> {
  const rows = await replica.xrange(teamKeys(team).ledger, '-', '+');
  return rows.map(([, fields]) => {
    const entry = new Map(fields.flatMap((_, i) => (i % 2 ? [] : [[fields[i], fields[i + 1]] as const])));
    return `${entry.get('kind')} ${entry.get('credits')}`;
  });
}

/** Ledger, spend and leases agree on the primary: every credit spent is in the ledger, no reservation open. */
async function expectBooksBalanced(key: CreatedKey): Promise<number> {
  const store = gw.app.services.store;
  const ledger = await store.readLedger(key.team, null, 1000);
  const day = windowOf('day', clock());
  const spend = await store.spend({ team: key.team, keyId: key.id, windows: [day] });
  const total = ledger.reduce((sum, entry) => sum + entry.credits, 0);
  expect(spend.team[day]).toBe(total);
  expect(await store.expiredReservations(key.team, Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  return total;
}

const withPausedReplica = async <T>(during: () => Promise<T>): Promise<T> => {
  redis.pauseReplica(0);
  try {
    return await during();
  } finally {
    redis.resumeReplica(0);
    await redis.waitForSync();
    await untilReady(gw);
  }
};

/** Waits for /readyz to answer 200, as an orchestrator would before sending traffic back. */
async function untilReady(gateway: TestGateway): Promise<void> {
  for (let attempt = 0; (await gateway.inject({ method: 'GET', url: '/readyz' })).statusCode !== 200; attempt++) {
    if (attempt > 100) throw new Error('the gateway did not become ready');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('money writes on a primary with a healthy replica', () => {
  it('answers 202 only once the job record and ledger entry are on the replica, and settles there too', async () => {
    const key = await gw.createKey();
    for (let i = 0; i < 5; i++) {
      const accepted = await gw.generate(key.key);
      expect(accepted.statusCode, accepted.body).toBe(202);
      const { jobId } = accepted.json<{ jobId: string }>();
      expect(await replica.hget(teamKeys(key.team).job(jobId), 'state')).toBe('pending');
      expect((await replicaLedger(key.team)).slice(2 * i)).toEqual(['reserve 3']);

      expect((await gw.poll(key.key, jobId)).json()).toMatchObject({ status: 'COMPLETED' });
      expect(await replica.hget(teamKeys(key.team).job(jobId), 'state')).toBe('settled');
      expect((await replicaLedger(key.team)).slice(2 * i)).toEqual(['reserve 3', 'settle 0']);
    }
    expect(await expectBooksBalanced(key)).toBe(15);
  });
});

describe('a replica that lags past REDIS_TIMEOUT_MS', () => {
  it('answers 503 with nothing forwarded, and nothing stays charged once the lease runs out', async () => {
    const key = await gw.createKey();
    const sent = gw.sim.requests.length;
    const answers = await withPausedReplica(() => Promise.all([gw.generate(key.key), gw.generate(key.key)]));
    for (const answer of answers) {
      expect(answer.statusCode, answer.body).toBe(503);
      expect(answer.json()).toMatchObject({ error: expect.any(String) });
    }
    expect(gw.sim.requests.length).toBe(sent);

    clock.advance(LEASE_MS + 1);
    await gw.app.services.backgroundSettlement.settleOnce();
    expect(await expectBooksBalanced(key)).toBe(0);
    expect((await gw.generate(key.key)).statusCode).toBe(202);
  });

  it('settles a job whose settlement was not acknowledged exactly once after recovery', async () => {
    const key = await gw.createKey();
    const accepted = await gw.generate(key.key);
    expect(accepted.statusCode, accepted.body).toBe(202);
    const { jobId } = accepted.json<{ jobId: string }>();

    const during = await withPausedReplica(() => gw.poll(key.key, jobId));
    expect(during.statusCode, during.body).toBe(503);

    await gw.app.services.backgroundSettlement.settleOnce();
    expect((await gw.poll(key.key, jobId)).json()).toMatchObject({ status: 'COMPLETED' });
    await gw.app.services.backgroundSettlement.settleOnce();
    expect(await replicaLedger(key.team)).toEqual(['reserve 3', 'settle 0']);
    expect(await gw.app.services.store.getJob(key.team, jobId)).toMatchObject({ state: 'settled', charged: 3 });
    expect(await expectBooksBalanced(key)).toBe(3);
  });
});

describe('REDIS_MIN_REPLICAS above the replicas present', () => {
  let two: ReplicatedRedis;
  let strict: TestGateway;
  beforeAll(async () => {
    two = await startReplicatedRedis({ replicas: 2 });
    strict = await startGateway({ redisUrl: two.url, env: { ...env, REDIS_MIN_REPLICAS: '2' } });
  });
  afterAll(async () => {
    await strict.close();
    await two.destroy();
  });

  it('is not ready, with one clear line, and answers 503 until the replica returns', async () => {
    const key = await strict.createKey();
    await two.kill(1);
    const ready = await strict.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().reason).toMatch(/^redis: the primary 127\.0\.0\.1:\d+ has 1 replica\(s\) in sync, 2 must/);
    expect(ready.json().reason).not.toContain('\n');
    const sent = strict.sim.requests.length;
    expect((await strict.generate(key.key)).statusCode).toBe(503);
    expect((await strict.generate(key.key)).statusCode).toBe(503);
    expect(strict.sim.requests.length).toBe(sent);
    expect(
      strict.logs.filter((line) => line.includes('money writes answer 503 until enough replicas keep up')),
    ).toHaveLength(1);

    await two.replicas[1]!.start();
    await two.waitForSync();
    await untilReady(strict);
    expect((await strict.generate(key.key)).statusCode).toBe(202);
  });
});

describe('REDIS_MIN_REPLICAS unset on a primary that has lost its replica', () => {
  it('keeps asking for one (not ready, 503) rather than acknowledging unreplicated writes', async () => {
    const key = await gw.createKey();
    await redis.breakReplication(0);
    try {
      const ready = await gw.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().reason).toContain('has 0 replica(s) in sync, 1 must acknowledge');
      expect((await gw.generate(key.key, SEED_BODY)).statusCode).toBe(503);
    } finally {
      await redis.restoreReplication(0);
    }
    // Ready again once the replica has caught up (how soon depends on the machine's load).
    await redis.waitForSync();
    await untilReady(gw);
  });
});
