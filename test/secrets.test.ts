// A run with a recognisable upstream key, admin and metrics tokens and team keys through
// success and failure paths at trace level: no response, header, log line, metric, audit or
// ledger entry, upstream request or stored value may contain a secret (nor a key's hash).
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from './helpers/redis-server.js';
import {
  ADMIN_TOKEN,
  expectNoSecrets,
  SEED_BODY,
  startGateway,
  UPSTREAM_KEY,
  type CreatedKey,
  type TestGateway,
} from './helpers/gateway.js';

let redis: RedisServer;
let gw: TestGateway;
let keys: CreatedKey[];
const METRICS_TOKEN = 'metrics-token-that-must-never-leak';
const responses: string[] = [];
let rotatedSecret = '';

beforeAll(async () => {
  redis = await startRedis();
  gw = await startGateway({
    redisUrl: redis.url,
    env: { LOG_LEVEL: 'trace', UPSTREAM_TIMEOUT_MS: '300', METRICS_TOKEN },
  });
  keys = [await gw.createKey({ budget: { credits: 3, period: 'day' } }), await gw.createKey()];
});
afterAll(async () => {
  await redis.destroy();
});

async function record(request: Parameters<TestGateway['inject']>[0]) {
  const response = await gw.inject(request);
  responses.push(`${response.statusCode} ${JSON.stringify(response.headers)} ${response.body}`);
  return response;
}

describe('secret hygiene', () => {
  it('keeps every secret out of responses, logs, upstream traffic and the store', async () => {
    const [limited, open] = keys as [CreatedKey, CreatedKey];
    const generate = (key: string, prompt: string) =>
      record({
        method: 'POST',
        url: '/v2/images/generate',
        headers: { 'x-api-key': key },
        payload: { ...SEED_BODY, prompt },
      });

    const { jobId } = (await generate(limited.key, 'ok')).json();
    await generate(limited.key, 'over budget');
    for (const status of [400, 401, 402, 403, 429, 500, 503]) await generate(open.key, `x [sim:status=${status}]`);
    await generate(open.key, 'slow [sim:latency=600]');
    await record({ method: 'GET', url: `/v2/jobs/${jobId}`, headers: { authorization: `Bearer ${limited.key}` } });
    await record({ method: 'GET', url: '/v2/jobs?scope=team', headers: { 'x-api-key': open.key } });
    await record({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': open.key } });
    await record({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': `${open.key}x` } });
    await record({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': UPSTREAM_KEY } });
    await record({ method: 'GET', url: '/admin/keys', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };
    await record({
      method: 'PATCH',
      url: `/admin/keys/${open.id}`,
      headers: adminHeaders,
      payload: { name: 'renamed' },
    });
    const rotated = await record({
      method: 'POST',
      url: `/admin/keys/${open.id}/rotate`,
      headers: adminHeaders,
      payload: { gracePeriodSeconds: 30 },
    });
    rotatedSecret = rotated.json().key;
    await record({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': open.key } });
    await record({ method: 'DELETE', url: `/admin/keys/${limited.id}`, headers: adminHeaders });
    await record({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': limited.key } });
    const audit = await record({ method: 'GET', url: '/admin/audit', headers: adminHeaders });
    expect(audit.json().entries.length).toBeGreaterThanOrEqual(5);
    await record({ method: 'GET', url: '/admin/usage/events?format=ndjson', headers: adminHeaders });
    await record({ method: 'GET', url: '/admin/usage/reconciliation', headers: adminHeaders });
    const metrics = await record({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(metrics.statusCode).toBe(200);
    await record({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}x` } });
    await record({ method: 'GET', url: '/admin/keys', headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } });
    await record({
      method: 'POST',
      url: '/v2/images/generate',
      headers: { 'x-api-key': open.key, 'content-type': 'application/json' },
      payload: `{"prompt": "${UPSTREAM_KEY}", broken`,
    });
    await gw.close();

    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    const teamSecrets = [limited.key, open.key, rotatedSecret];
    const secrets = [UPSTREAM_KEY, sha256(UPSTREAM_KEY), ADMIN_TOKEN, METRICS_TOKEN, ...teamSecrets];
    const rotationAnswer = responses.findIndex((text) => text.includes(rotatedSecret));
    expectNoSecrets(
      responses.filter((_, i) => i !== rotationAnswer).join('\n'),
      [...secrets, ...teamSecrets.map(sha256)],
      'a response',
    );
    expectNoSecrets(gw.logs.join('\n'), [...secrets, ...teamSecrets.map(sha256)], 'the log');
    expect(gw.logs.length).toBeGreaterThan(20);

    const client = new Redis(redis.url);
    const dump: string[] = [];
    for (const name of await client.keys('*')) {
      const type = await client.type(name);
      const value =
        type === 'string'
          ? await client.get(name)
          : type === 'hash'
            ? JSON.stringify(await client.hgetall(name))
            : type === 'zset'
              ? JSON.stringify(await client.zrange(name, 0, -1))
              : type === 'stream'
                ? JSON.stringify(await client.xrange(name, '-', '+'))
                : JSON.stringify(await client.smembers(name));
      dump.push(`${name} ${value}`);
    }
    client.disconnect();
    // Redis holds team-key hashes by design (the lookup index), never a secret.
    expectNoSecrets(dump.join('\n'), secrets, 'Redis');
    console.log(
      `secret scan: ${responses.length} responses, ${gw.logs.length} log lines, ${dump.length} Redis keys, ${gw.sim.requests.length} upstream requests: clean`,
    );
  });
});

describe('a Redis refusal while saving a key record', () => {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const refusals = {
    'out of memory (OOM)': async (client: Redis) => {
      await client.config('SET', 'maxmemory-policy', 'noeviction');
      await client.config('SET', 'maxmemory', '1');
    },
    'a read-only replica (READONLY)': async (client: Redis) => {
      // A replica of a primary that is not there (nothing listens on port 1) serves reads and refuses writes.
      await client.replicaof('127.0.0.1', 1);
    },
  };

  it.each(Object.entries(refusals))('logs no argument of the failed command: %s', async (_, refuse) => {
    const server = await startRedis();
    const gateway = await startGateway({ redisUrl: server.url });
    const client = new Redis(server.url);
    try {
      const key = await gateway.createKey();
      await refuse(client);
      const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const renamed = await gateway.inject({
        method: 'PATCH',
        url: `/admin/keys/${key.id}`,
        headers: adminHeaders,
        payload: { name: 'renamed' },
      });
      expect(renamed.statusCode, renamed.body).toBe(503);
      expect(renamed.json().code).toBe('GW_STORE_UNAVAILABLE');
      const refusal = gateway.logs.find((line) => line.includes('GW_STORE_UNAVAILABLE'));
      expect(refusal, 'the refusal is logged').toMatch(/OOM|READONLY/);
      expectNoSecrets(gateway.logs.join('\n'), [sha256(key.key), `gw:{keys}:hash:`], 'the log');
    } finally {
      client.disconnect();
      await gateway.close();
      await server.destroy();
    }
  });
});
