// Apiframe accepted a job and then Redis refused to record it (turned read-only): the caller still
// gets the jobId, since the job runs upstream whatever happens, and the job is recorded and
// settled by the next reconciler pass once Redis accepts writes again. Nothing is lost and
// nothing is charged twice.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { SEED_BODY, startGateway, type TestGateway } from '../helpers/gateway.js';

let redis: RedisServer;
let raw: Redis;
let gw: TestGateway;

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
  gw = await startGateway({ redisUrl: redis.url });
});
afterAll(async () => {
  await raw.replicaof('NO', 'ONE');
  raw.disconnect();
  await gw.close();
  await redis.destroy();
});

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
});
