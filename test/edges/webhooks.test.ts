// The webhook relay end to end on loopback: Apiframe (the simulator) calls the gateway, the
// gateway verifies, settles and relays to a local receiver that checks the signature with the
// team key exactly as Apiframe's own code would. The SSRF guard is tested at its decision
// point with an injected resolver; no traffic goes anywhere but loopback.
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWebhookTarget, createGuardedAgent, type Resolver } from '../../src/services/webhook-target.js';
import { webhookSignature } from '../../src/services/webhooks.js';
import { freePort, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { SEED_BODY, startGateway, UPSTREAM_KEY, type TestGateway } from '../helpers/gateway.js';
import { expectApiframeJob } from '../helpers/job-shape.js';
import { type Receiver, startReceiver } from '../helpers/receiver.js';

let redis: RedisServer;
let gw: TestGateway;
let receiver: Receiver;
let receiverUrl: string;

beforeAll(async () => {
  redis = await startRedis();
  receiver = await startReceiver();
  receiverUrl = `${receiver.url}/hooks/apiframe`;
  const port = await freePort();
  gw = await startGateway({
    redisUrl: redis.url,
    simulator: { jobDurationMs: 150 },
    env: {
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    },
  });
  await gw.app.listen({ port, host: '127.0.0.1' });
});
afterAll(async () => {
  await gw.close();
  receiver.close();
  await redis.destroy();
});

const waitFor = async (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) => {
  for (const until = Date.now() + timeoutMs; Date.now() < until; ) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('the webhook relay', () => {
  it('signs exactly as Apiframe does (the checked vector)', () => {
    const vector = JSON.parse(readFileSync('test/fixtures/apiframe-webhook-vector.json', 'utf8'));
    const key = createHash('sha256').update(vector.apiKey).digest();
    expect(webhookSignature(key, vector.body)).toBe(vector.signature);
    expect(gw.app.services.webhooks.verify(Buffer.from(vector.body), vector.signature)).toBe(false);
  });

  it('keeps the caller’s URL from Apiframe, settles on the verified event, and relays it signed with the team key', async () => {
    const key = await gw.createKey();
    const accepted = await gw.generate(key.key, {
      ...SEED_BODY,
      webhookUrl: receiverUrl,
      webhookEvents: ['completed'],
    });
    expect(accepted.statusCode).toBe(202);
    const { jobId } = accepted.json();
    const forwarded = JSON.parse(gw.sim.requests.filter((r) => r.method === 'POST').at(-1)!.body);
    expect(forwarded.webhookUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/apiframe\//);
    expect(JSON.stringify(forwarded)).not.toContain(receiverUrl);

    await waitFor(
      async () => (await gw.app.services.store.getJob(key.team, jobId))?.state === 'settled',
      'the webhook to settle the job',
    );
    expect(gw.sim.requests.some((r) => r.method === 'GET' && r.url.includes(jobId))).toBe(false);
    expect((await gw.spend(key)).total).toBe(3);

    await waitFor(() => receiver.received.length > 0, 'the relayed webhook');
    const [delivery] = receiver.received;
    const expected = createHmac('sha256', createHash('sha256').update(key.key).digest())
      .update(delivery!.body)
      .digest('hex');
    expect(delivery!.headers['x-webhook-signature']).toBe(`sha256=${expected}`);
    expect(delivery!.headers['x-webhook-event']).toBe('completed');
    expect(JSON.parse(delivery!.body)).toMatchObject({ event: 'completed', jobId, status: 'COMPLETED', creditCost: 3 });
    expect(delivery!.body).not.toContain(UPSTREAM_KEY);

    const polled = await gw.poll(key.key, jobId);
    expect(polled.json()).toMatchObject({ id: jobId, status: 'COMPLETED' });
    console.log('webhook relay: verified, settled before any poll, relayed and verified with the team key');
  });

  it('rejects a forged webhook with 401 and changes nothing', async () => {
    const key = await gw.createKey();
    const { jobId } = (await gw.generate(key.key, { ...SEED_BODY, prompt: 'x [sim:never]' })).json();
    const body = JSON.stringify({ event: 'completed', jobId, status: 'COMPLETED', creditCost: 0 });
    const forged = await gw.inject({
      method: 'POST',
      url: `/webhooks/apiframe/${key.team}`,
      headers: {
        'content-type': 'application/json',
        'x-webhook-signature': webhookSignature(createHash('sha256').update('afk_wrong').digest(), body),
      },
      payload: body,
    });
    expect(forged.statusCode).toBe(401);
    expect(forged.json()).toMatchObject({ code: 'GW_WEBHOOK_SIGNATURE' });
    const unsigned = await gw.inject({
      method: 'POST',
      url: `/webhooks/apiframe/${key.team}`,
      headers: { 'content-type': 'application/json' },
      payload: body,
    });
    expect(unsigned.statusCode).toBe(401);
    expect(await gw.app.services.store.getJob(key.team, jobId)).toMatchObject({ state: 'pending' });
    expect((await gw.spend(key)).total).toBe(3);
  });

  it('refuses webhook URLs that point inside the network at submit time, before any connection', async () => {
    const key = await gw.createKey();
    const refusals = {
      'http://10.0.0.1/hook': 'must not point at a private address (10.0.0.1)',
      'https://169.254.169.254/latest/meta-data': 'must not point at a linkLocal address (169.254.169.254)',
      'http://[::1]/x': 'must not point at a loopback address (::1)',
      'http://[::7f00:1]/x': 'must not point at a loopback address (::7f00:1)',
      'https://[::ffff:127.0.0.1]/x': 'must not point at a loopback address (::ffff:7f00:1)',
      'https://[::a00:1]/x': 'must not point at a private address (::a00:1)',
      'https://93.184.216.34:8443/hook': 'must use port 443 or 80 (not 8443)',
    };
    for (const [url, reason] of Object.entries(refusals)) {
      const before = gw.sim.requests.length;
      const response = await gw.generate(key.key, { ...SEED_BODY, webhookUrl: url });
      expect(response.statusCode, url).toBe(400);
      expect(response.json()).toMatchObject({ error: expect.any(String), details: { webhookUrl: [reason] } });
      expect(gw.sim.requests.length).toBe(before);
    }
    expect((await gw.spend(key)).total).toBe(0);
  });
});

describe.each(['redis', 'memory'] as const)('a job settled by Apiframe’s webhook (%s store)', (storeKind) => {
  let gateway: TestGateway;
  beforeAll(async () => {
    const port = await freePort();
    gateway = await startGateway({
      ...(storeKind === 'redis' && { redisUrl: redis.url }),
      simulator: { jobDurationMs: 150 },
      env: {
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        WEBHOOK_ALLOW_HTTP: 'true',
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      },
    });
    await gateway.app.listen({ port, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await gateway.close();
  });

  it.each([
    ['COMPLETED', SEED_BODY.prompt, 3],
    ['FAILED', 'x [sim:fail]', 0],
  ])(
    'stays listed, filtered, found and read as an Apiframe job (%s), without asking Apiframe',
    async (status, prompt, cost) => {
      const key = await gateway.createKey();
      const { jobId } = (await gateway.generate(key.key, { ...SEED_BODY, prompt, webhookUrl: receiverUrl })).json();
      await waitFor(
        async () => (await gateway.app.services.store.getJob(key.team, jobId))?.state === 'settled',
        'the webhook to settle the job',
      );
      const expected = { id: jobId, status, model: 'seedream-4', creditCost: cost, progress: 100 };
      const queries = [
        '',
        `?status=${status}`,
        '?model=seedream-4',
        `?status=${status}&model=seedream-4`,
        `?search=${jobId}`,
        `?search=${jobId}&status=${status}`,
        '?scope=team',
      ];
      for (const query of queries) {
        const listed = await gateway.inject({
          method: 'GET',
          url: `/v2/jobs${query}`,
          headers: { 'x-api-key': key.key },
        });
        expect(listed.statusCode, query).toBe(200);
        const { jobs } = JSON.parse(listed.body) as { jobs: unknown[] };
        expect(jobs, query).toEqual([expect.objectContaining(expected)]);
        expectApiframeJob(jobs[0]);
      }
      const read = await gateway.poll(key.key, jobId);
      expect(read.json()).toMatchObject(expected);
      expectApiframeJob(read.json());
      expect(gateway.sim.requests.some((r) => r.method === 'GET' && r.url.includes(jobId))).toBe(false);
      expect((await gateway.spend(key)).total).toBe(cost);
    },
  );
});

describe('the SSRF guard', () => {
  const policy = { allowHttp: false, allowedHosts: [] };
  const resolver =
    (table: Record<string, string[]>): Resolver =>
    async (host) => {
      if (!table[host]) throw new Error('ENOTFOUND');
      return table[host];
    };
  const dns = resolver({
    'hooks.example.com': ['93.184.216.34'],
    'sneaky.example.com': ['93.184.216.34', '10.1.2.3'],
    'metadata.example.com': ['169.254.169.254'],
    'local.example.com': ['127.0.0.1'],
    'v6.example.com': ['fd00::1'],
  });

  it.each([
    ['https://127.0.0.1/x', 'loopback'],
    ['https://10.0.0.1/x', 'private'],
    ['https://169.254.169.254/latest', 'linkLocal'],
    ['https://[::1]/x', 'loopback'],
    ['https://[::ffff:10.0.0.1]/x', 'private'],
    ['https://[::ffff:127.0.0.1]/x', 'loopback'],
    ['https://[::7f00:1]/x', 'loopback'],
    ['https://[::a00:1]/x', 'private'],
    ['https://[::a9fe:a9fe]/x', 'linkLocal'],
    ['https://sneaky.example.com/x', 'private'],
    ['https://metadata.example.com/x', 'linkLocal'],
    ['https://local.example.com/x', 'loopback'],
    ['https://v6.example.com/x', 'uniqueLocal'],
  ])('refuses %s (%s)', async (url, range) => {
    expect(await checkWebhookTarget(url, policy, dns)).toEqual({
      ok: false,
      reason: expect.stringContaining(`a ${range} address`),
    });
  });

  it('refuses plain http, credentials and names that do not resolve', async () => {
    expect(await checkWebhookTarget('http://hooks.example.com/x', policy, dns)).toEqual({
      ok: false,
      reason: 'must be an https URL',
    });
    expect(await checkWebhookTarget('https://u:p@hooks.example.com/x', policy, dns)).toEqual({
      ok: false,
      reason: 'must not carry credentials',
    });
    expect(await checkWebhookTarget('https://nowhere.example.com/x', policy, dns)).toEqual({
      ok: false,
      reason: 'host nowhere.example.com does not resolve',
    });
  });

  it('refuses ports other than 443 (and 80 when http is allowed) unless the host is allowlisted', async () => {
    const withHttp = { ...policy, allowHttp: true };
    expect(await checkWebhookTarget('https://hooks.example.com:8443/x', policy, dns)).toEqual({
      ok: false,
      reason: 'must use port 443 (not 8443)',
    });
    expect(await checkWebhookTarget('https://hooks.example.com:80/x', policy, dns)).toEqual({
      ok: false,
      reason: 'must use port 443 (not 80)',
    });
    expect(await checkWebhookTarget('http://hooks.example.com:8080/x', withHttp, dns)).toEqual({
      ok: false,
      reason: 'must use port 443 or 80 (not 8080)',
    });
    expect(await checkWebhookTarget('https://hooks.example.com:443/x', policy, dns)).toEqual({ ok: true });
    expect(await checkWebhookTarget('http://hooks.example.com/x', withHttp, dns)).toEqual({ ok: true });
    expect(
      await checkWebhookTarget(
        'https://local.example.com:8443/x',
        { ...policy, allowedHosts: ['local.example.com'] },
        dns,
      ),
    ).toEqual({ ok: true });
  });

  it('accepts public hosts, and allowlisted internal ones', async () => {
    expect(await checkWebhookTarget('https://hooks.example.com/x', policy, dns)).toEqual({ ok: true });
    expect(
      await checkWebhookTarget(
        'https://local.example.com/x',
        { allowHttp: false, allowedHosts: ['local.example.com'] },
        dns,
      ),
    ).toEqual({ ok: true });
  });
});

describe('the SSRF guard at connect time', () => {
  it('refuses other ports and inward addresses, literal or resolved, before connecting, unless allowlisted', async () => {
    let connections = 0;
    const server = createServer((_request, response) => response.writeHead(204).end());
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const guarded = createGuardedAgent({ allowHttp: true, allowedHosts: [] });
    const allowlisted = createGuardedAgent({ allowHttp: true, allowedHosts: ['127.0.0.1'] });
    const send = (url: string, dispatcher = guarded) =>
      request(url, { method: 'POST', body: '{}', dispatcher, signal: AbortSignal.timeout(5_000) });
    try {
      await expect(send(`http://127.0.0.1:${port}/hook`)).rejects.toThrow(
        `refused to connect to 127.0.0.1: must use port 443 or 80 (not ${port})`,
      );
      await expect(send('http://[::7f00:1]/hook')).rejects.toThrow(
        'refused to connect to ::7f00:1: must not point at a loopback address',
      );
      await expect(send('http://[::ffff:127.0.0.1]/hook')).rejects.toThrow('must not point at a loopback address');
      await expect(send('http://[::a00:1]/hook')).rejects.toThrow(
        'refused to connect to ::a00:1: must not point at a private address',
      );
      await expect(send('http://localhost/hook')).rejects.toThrow(
        'refused to connect to localhost: must not point at a loopback address',
      );
      expect(connections).toBe(0);
      expect((await send(`http://127.0.0.1:${port}/hook`, allowlisted)).statusCode).toBe(204);
      expect(connections).toBe(1);
    } finally {
      await Promise.all([guarded.close(), allowlisted.close()]);
      server.close();
    }
  });
});

describe('a receiver that trickles its answer', () => {
  it('delays no other team’s relay, and is given up after the 10 s deadline however it trickles', async () => {
    let gaveUp = false;
    const trickled = new Set<Socket>();
    const trickler = createTcpServer((socket) => {
      trickled.add(socket);
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nX-Slow: ');
        const timer = setInterval(() => socket.write('.'), 2_000);
        socket.on('close', () => {
          clearInterval(timer);
          gaveUp ||= trickled.has(socket);
        });
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => trickler.listen(0, '127.0.0.1', resolve));
    const tricklerUrl = `http://127.0.0.1:${(trickler.address() as { port: number }).port}/hook`;
    try {
      const [slowTeam, otherTeam] = [await gw.createKey(), await gw.createKey()];
      expect((await gw.generate(slowTeam.key, { ...SEED_BODY, webhookUrl: tricklerUrl })).statusCode).toBe(202);
      await waitFor(() => trickled.size > 0, 'the slow receiver to be called');

      const { jobId } = (await gw.generate(otherTeam.key, { ...SEED_BODY, webhookUrl: receiverUrl })).json();
      // The other team's event arrives at once; the trickling receiver would hold the line for good.
      await waitFor(
        () => receiver.received.some((delivery) => delivery.body.includes(jobId)),
        'the other team’s relay',
        5_000,
      );
      expect(gaveUp).toBe(false);
      await waitFor(() => gaveUp, 'the slow delivery to be given up', 20_000);
    } finally {
      for (const socket of trickled) socket.destroy();
      trickled.clear();
      trickler.close();
    }
  });
});

describe('webhook deliveries that fail', () => {
  it('are recorded and retried later, never blocking the request path', async () => {
    const failing = createServer((_request, response) => response.writeHead(500).end());
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(failing.address() as { port: number }).port}/hook`;
    try {
      // Earlier tests' deliveries may have counted retries already: this one must add its own.
      const retries = async () => {
        const counter = gw.app.services.metrics.registry.getSingleMetric('apiframe_gateway_webhook_deliveries_total')!;
        return (await counter.get()).values.find((value) => value.labels.outcome === 'retry')?.value ?? 0;
      };
      const retriesBefore = await retries();
      const key = await gw.createKey();
      const { jobId } = (await gw.generate(key.key, { ...SEED_BODY, webhookUrl: url })).json();
      const store = gw.app.services.store;
      await waitFor(async () => (await store.getJob(key.team, jobId))?.state === 'settled', 'settlement');
      // Read the queue only after the gateway's attempt: claiming it here pushes a delivery back.
      await waitFor(async () => (await retries()) > retriesBefore, 'a retry to be counted');
      const queued = await store.claimDueDeliveries(key.team, Date.now() + 60_000, 1, 10);
      expect(queued.some((delivery) => delivery.jobId === jobId && delivery.attempts === 1)).toBe(true);
    } finally {
      failing.close();
    }
  });
});
