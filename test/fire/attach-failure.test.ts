// Apiframe accepted a job and then Redis refused to record it (turned read-only): the caller still
// gets the jobId, since the job runs upstream whatever happens, and once Redis accepts writes
// again the instance that accepted it records it within a second, with no reconciler pass, and
// it settles at its reserved price. Nothing is lost and nothing is charged twice. Meanwhile a
// poll of the job, an action on it or Apiframe's webhook for it, on that instance, is a 503 while
// the store refuses, and records it first once the store accepts: never "not found".
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { webhookSignature } from '../../src/services/webhooks.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/redis-node.js';
import { SEED_BODY, startGateway, UPSTREAM_KEY, type CreatedKey, type TestGateway } from '../helpers/gateway.js';

let redis: RedisServer;
let raw: Redis;
/** Runs no background work: only a request can record a job here. */
let gw: TestGateway;
/** Retries unrecorded jobs every second; its reconciler would pass only every ten minutes. */
let background: TestGateway;

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
  const env = { PRICING: '{"seedream-4":3,"midjourney":5,"midjourney:upsample":2}' };
  gw = await startGateway({ redisUrl: redis.url, env });
  background = await startGateway({
    redisUrl: redis.url,
    sim: gw.sim,
    reconcile: true,
    env: { ...env, RECONCILE_INTERVAL_MS: '600000' },
  });
});
afterEach(async () => {
  await raw.replicaof('NO', 'ONE');
});
afterAll(async () => {
  raw.disconnect();
  await Promise.all([gw.close(), background.close()]);
  await redis.destroy();
});

interface Submission {
  body?: object;
  headers?: Record<string, string>;
}

/** Submits on `gateway` what Apiframe accepts (400 ms later) while the store has turned read-only; the job ids. */
async function acceptedWhileReadOnly(gateway: TestGateway, key: CreatedKey, submissions: Submission[] = [{}]) {
  const answers = Promise.all(
    submissions.map(({ body = SEED_BODY, headers = {} }) =>
      gateway.inject({
        method: 'POST',
        url: '/v2/images/generate',
        headers: { 'x-api-key': key.key, ...headers },
        payload: { ...body, prompt: `${(body as { prompt: string }).prompt} [sim:latency=400]` },
      }),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 150));
  await raw.replicaof('127.0.0.1', String(await freePort()));
  return (await answers).map((response) => {
    expect(response.statusCode, response.body).toBe(202);
    return response.json<{ jobId: string }>().jobId;
  });
}

describe('a job Apiframe accepted that the store cannot record', () => {
  it('is answered with its jobId, recorded within a second once the store recovers, and settled once', async () => {
    const key = await background.createKey();
    const store = background.app.services.store;
    const jobIds = await acceptedWhileReadOnly(background, key, [{}, { headers: { 'idempotency-key': 'attach' } }]);
    for (const jobId of jobIds) {
      expect(await store.getJob(key.team, jobId)).toBeNull();
      const logged = (line: string) => line.includes('accepted job could not be recorded yet') && line.includes(jobId);
      expect(background.logs.some(logged)).toBe(true);
    }
    await raw.replicaof('NO', 'ONE');

    for (const jobId of jobIds) {
      await waitUntil(async () => (await store.getJob(key.team, jobId)) !== null, 'the job recorded');
    }
    await background.app.services.backgroundSettlement.settleOnce();
    for (const jobId of jobIds) {
      expect(await store.getJob(key.team, jobId)).toMatchObject({ state: 'settled', charged: 3, reserved: 3 });
      expect((await background.poll(key.key, jobId)).json()).toMatchObject({ id: jobId, status: 'COMPLETED' });
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
    const [jobId] = await acceptedWhileReadOnly(gw, key);

    const refused = await gw.poll(key.key, jobId!);
    expect(refused.statusCode, refused.body).toBe(503);
    expect((await gw.poll(stranger.key, jobId!)).statusCode).toBe(404);
    await raw.replicaof('NO', 'ONE');

    expect((await gw.poll(stranger.key, jobId!)).statusCode).toBe(404);
    const polled = await gw.poll(key.key, jobId!);
    expect(polled.statusCode, polled.body).toBe(200);
    expect(polled.json()).toMatchObject({ id: jobId, status: 'COMPLETED' });
    expect(await gw.app.services.store.getJob(key.team, jobId!)).toMatchObject({ state: 'settled', charged: 3 });
  });

  it('is recorded by an action on it, and by Apiframe’s webhook for it, once the store accepts', async () => {
    const key = await gw.createKey();
    const [grid, image] = await acceptedWhileReadOnly(gw, key, [
      { body: { model: 'midjourney', prompt: 'a lighthouse' } },
      { body: { ...SEED_BODY, prompt: `${SEED_BODY.prompt} [sim:never]` } },
    ]);
    const upsample = () =>
      gw.inject({
        method: 'POST',
        url: '/v2/images/midjourney/action',
        headers: { 'x-api-key': key.key },
        payload: { action: 'upsample', index: 1, parentJobId: grid },
      });
    const sent = gw.sim.requests.length;
    expect((await upsample()).statusCode, 'while the store refuses').toBe(503);
    expect(gw.sim.requests.length, 'nothing forwarded').toBe(sent);
    await raw.replicaof('NO', 'ONE');

    const acted = await upsample();
    expect(acted.statusCode, acted.body).toBe(202);
    expect(await gw.app.services.store.getJob(key.team, grid!)).not.toBeNull();

    const event = JSON.stringify({ event: 'completed', jobId: image, status: 'COMPLETED', creditCost: 3 });
    const signingKey = createHash('sha256').update(UPSTREAM_KEY).digest();
    const reported = await gw.inject({
      method: 'POST',
      url: `/webhooks/apiframe/${key.team}`,
      headers: { 'content-type': 'application/json', 'x-webhook-signature': webhookSignature(signingKey, event) },
      payload: event,
    });
    expect(reported.statusCode, reported.body).toBe(200);
    expect(await gw.app.services.store.getJob(key.team, image!)).toMatchObject({ state: 'settled', charged: 3 });
  });
});
