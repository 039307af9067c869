// Apiframe accepted a job and then Redis refused to record it (turned read-only): the caller still
// gets the jobId, since the job runs upstream whatever happens, and the job is recorded and
// settled by the next reconciler pass once Redis accepts writes again. Nothing is lost and
// nothing is charged twice. Meanwhile a poll of the job on the instance that accepted it is a
// 503 while the store refuses and the job itself once it accepts, never "not found"; and the
// instance records it again every second without waiting for a reconciler pass.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/redis-node.js';
import { SEED_BODY, startGateway, type CreatedKey, type TestGateway } from '../helpers/gateway.js';

let redis: RedisServer;
let raw: Redis;
let gw: TestGateway;

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
  gw = await startGateway({ redisUrl: redis.url });
});
afterEach(async () => {
  await raw.replicaof('NO', 'ONE');
});
afterAll(async () => {
  raw.disconnect();
  await gw.close();
  await redis.destroy();
});

/** Submits a generate on `gateway` that Apiframe accepts while the store has turned read-only. */
async function acceptedWhileReadOnly(gateway: TestGateway, key: CreatedKey): Promise<string> {
  const payload = { ...SEED_BODY, prompt: `${SEED_BODY.prompt} [sim:latency=400]` };
  const answer = gateway.inject({
    method: 'POST',
    url: '/v2/images/generate',
    headers: { 'x-api-key': key.key },
    payload,
  });
  await new Promise((resolve) => setTimeout(resolve, 150));
  await raw.replicaof('127.0.0.1', String(await freePort()));
  const response = await answer;
  expect(response.statusCode, response.body).toBe(202);
  return response.json<{ jobId: string }>().jobId;
}

describe('a job Apiframe accepted that the store cannot record', () => {
  it('is answered with its jobId and recorded by the reconciler once the store recovers', async () => {
    const key = await gw.createKey();
    const payload = { ...SEED_BODY, prompt: `${SEED_BODY.prompt} [sim:latency=400]` };
    const submit = (headers: Record<string, string>) =>
      gw.inject({ method: 'POST', url: '/v2/images/generate', headers: { 'x-api-key': key.key, ...headers }, payload });
    const answers = Promise.all([submit({}), submit({ 'idempotency-key': 'attach-failure' })]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await raw.replicaof('127.0.0.1', String(await freePort()));
    const responses = await answers;
    await raw.replicaof('NO', 'ONE');

    const store = gw.app.services.store;
    const jobIds = responses.map((response) => {
      expect(response.statusCode, response.body).toBe(202);
      return response.json<{ jobId: string }>().jobId;
    });
    for (const jobId of jobIds) {
      expect(await store.getJob(key.team, jobId)).toBeNull();
      expect(
        gw.logs.some((line) => line.includes('accepted job could not be recorded yet') && line.includes(jobId)),
      ).toBe(true);
    }

    await gw.app.services.backgroundSettlement.settleOnce();
    for (const jobId of jobIds) {
      expect(await store.getJob(key.team, jobId)).toMatchObject({ state: 'settled', charged: 3, reserved: 3 });
      expect((await gw.poll(key.key, jobId)).json()).toMatchObject({ id: jobId, status: 'COMPLETED' });
    }
    const ledger = await store.readLedger(key.team, null, 100);
    expect(ledger.map((entry) => `${entry.kind} ${entry.credits}`).sort()).toEqual([
      'reserve 3',
      'reserve 3',
      'settle 0',
      'settle 0',
    ]);
  });

  it('is a 503 to its team while the store refuses, and recorded by a poll of it once the store accepts', async () => {
    const key = await gw.createKey();
    const stranger = await gw.createKey();
    const jobId = await acceptedWhileReadOnly(gw, key);

    const refused = await gw.poll(key.key, jobId);
    expect(refused.statusCode, refused.body).toBe(503);
    expect((await gw.poll(stranger.key, jobId)).statusCode).toBe(404);
    await raw.replicaof('NO', 'ONE');

    expect((await gw.poll(stranger.key, jobId)).statusCode).toBe(404);
    const polled = await gw.poll(key.key, jobId);
    expect(polled.statusCode, polled.body).toBe(200);
    expect(polled.json()).toMatchObject({ id: jobId, status: 'COMPLETED' });
    expect(await gw.app.services.store.getJob(key.team, jobId)).toMatchObject({ state: 'settled', charged: 3 });
  });

  it('is recorded again every second by its instance, with no reconciler pass and no poll', async () => {
    const background = await startGateway({
      redisUrl: redis.url,
      sim: gw.sim,
      reconcile: true,
      env: { RECONCILE_INTERVAL_MS: '600000' },
    });
    try {
      const key = await background.createKey();
      const jobId = await acceptedWhileReadOnly(background, key);
      expect(await background.app.services.store.getJob(key.team, jobId)).toBeNull();
      await raw.replicaof('NO', 'ONE');
      await waitUntil(
        async () => (await background.app.services.store.getJob(key.team, jobId)) !== null,
        'the job recorded',
      );
      expect(await background.app.services.store.getJob(key.team, jobId)).toMatchObject({
        state: 'pending',
        reserved: 3,
      });
    } finally {
      await background.close();
    }
  });
});
