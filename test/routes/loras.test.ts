// LoRAs through the gateway over real HTTP: training costs 2 credits (reserved, then charged when
// Apiframe accepts), refunded exactly once when the training fails, whether a GET, a listing, a
// DELETE, the background pass, or a GET and the pass at once see it; a team sees and touches only its own LoRAs, and another team's id
// is a 404 that never reaches Apiframe; a body Apiframe would refuse is a 4xx with nothing charged.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loraForm, rawMultipart } from '../helpers/files.js';
import { startGateway, type CreatedKey, type TestGateway } from '../helpers/gateway.js';

// biome-ignore lint/suspicious/noExplicitAny: checked by the assertions
type Json = any;

let gw: TestGateway;
let alice: CreatedKey;
let bob: CreatedKey;
let url: string;

beforeAll(async () => {
  gw = await startGateway();
  alice = await gw.createKey();
  bob = await gw.createKey();
  url = await gw.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => gw.close());

async function call(key: CreatedKey, method: string, path: string, body?: FormData) {
  const response = await fetch(`${url}${path}`, { method, headers: { 'x-api-key': key.key }, body });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Json };
}

const train = (key: CreatedKey, images = 15, fields: Record<string, string> = {}) =>
  call(key, 'POST', '/v2/loras', loraForm(images, fields));

const ledgerOf = async (key: CreatedKey) =>
  (await gw.app.services.store.readLedger(key.team, null, 100)).map((entry) => [entry.kind, entry.credits]);

/** Requests that reached Apiframe at a path starting with `prefix`. */
const forwarded = (prefix: string) => gw.sim.requests.filter((request) => request.url.startsWith(prefix)).length;

describe('POST /v2/loras', () => {
  it('trains a LoRA for 2 credits: reserved, then charged when Apiframe accepts', async () => {
    const key = await gw.createKey();
    const charged = gw.sim.chargedCredits();
    const created = await train(key);
    expect(created).toEqual({ status: 202, body: { id: expect.any(String), status: 'PENDING', imageCount: 15 } });
    expect((await gw.spend(key)).total).toBe(2);
    expect(await ledgerOf(key)).toEqual([
      ['reserve', 2],
      ['settle', 0],
    ]);
    expect(gw.sim.chargedCredits() - charged).toBe(2);
    expect((await call(key, 'GET', `/v2/loras/${created.body.id}`)).body).toMatchObject({ status: 'READY' });
  });

  it('refuses too few or too many images, an unsupported image and a webhookUrl, with nothing charged', async () => {
    const key = await gw.createKey();
    const charged = gw.sim.chargedCredits();
    for (const form of [loraForm(14), loraForm(31), loraForm(15, { webhookUrl: 'https://example.com/hook' })]) {
      const answer = await call(key, 'POST', '/v2/loras', form);
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(answer.body.details).toBeDefined();
    }
    expect((await gw.spend(key)).total).toBe(0);
    expect(gw.sim.chargedCredits()).toBe(charged);
  });

  it('answers 402 beyond the budget, sending nothing', async () => {
    const poor = await gw.createKey({ budget: { credits: 1, period: 'day' } });
    const before = forwarded('/v2/loras');
    const answer = await train(poor);
    expect(answer).toMatchObject({ status: 402, body: { creditsRequired: 2 } });
    expect(forwarded('/v2/loras')).toBe(before);
  });

  it('trains only for a key that may run flux-lora, on a gateway that offers it', async () => {
    const before = forwarded('/v2/loras');
    const restricted = await gw.createKey({ allowedModels: ['seedream-4'] });
    expect(await train(restricted)).toMatchObject({ status: 403, body: { error: expect.stringMatching(/flux-lora/) } });
    const imagesOnly = await startGateway({ env: { ENABLED_MODELS: 'seedream-4' } });
    try {
      const key = await imagesOnly.createKey();
      const refused = await imagesOnly.inject({
        method: 'POST',
        url: '/v2/loras',
        headers: { 'x-api-key': key.key, 'content-type': 'multipart/form-data; boundary=x' },
        payload: '--x--\r\n',
      });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().details.model).toEqual([
        'flux-lora is not offered by this gateway, so no LoRA is trained for it',
      ]);
      expect(imagesOnly.sim.requests).toHaveLength(0);
    } finally {
      await imagesOnly.close();
    }
    expect((await gw.spend(restricted)).total).toBe(0);
    expect(forwarded('/v2/loras')).toBe(before);
    const allowed = await gw.createKey({ allowedModels: ['flux-lora'] });
    expect((await train(allowed)).status).toBe(202);
  });

  it('passes Apiframe’s own refusal on with the reservation released', async () => {
    const key = await gw.createKey();
    const answer = await train(key, 15, { subjectKind: 'person', gender: 'robot' });
    expect(answer.status).toBe(400);
    expect(await ledgerOf(key)).toEqual([
      ['reserve', 2],
      ['release', -2],
    ]);
  });
});

describe('trainings whose outcome is unclear', () => {
  const notes = async (key: CreatedKey) =>
    (await gw.app.services.store.readLedger(key.team, null, 100)).map((entry) => entry.note);

  it('charges a training Apiframe accepted without a usable id, as unclear, and answers 502', async () => {
    const key = await gw.createKey();
    const charged = gw.sim.chargedCredits();
    const answer = await train(key, 15, { name: 'cut short [sim:garbage]' });
    expect(answer.status).toBe(502);
    expect(gw.sim.chargedCredits() - charged).toBe(2);
    expect((await gw.spend(key)).total).toBe(2);
    expect(await ledgerOf(key)).toEqual([
      ['reserve', 2],
      ['settle', 0],
    ]);
    expect((await notes(key))[1]).toBe('unclear: Apiframe accepted the training without a usable LoRA id');
    expect(await gw.app.services.store.pendingLoras(key.team, 10)).toEqual([]);
    expect((await gw.app.services.objects.loraOutcomes.checkOnce()).refunded).toBe(0);
    expect((await gw.spend(key)).total).toBe(2);
  });

  it('charges a training Apiframe did not answer in time, as unclear, and answers 504', async () => {
    const impatient = await startGateway({ env: { UPSTREAM_TIMEOUT_MS: '300' } });
    try {
      const key = await impatient.createKey();
      const at = await impatient.app.listen({ port: 0, host: '127.0.0.1' });
      const form = loraForm(15, { name: 'slow [sim:latency=1000]' });
      const answer = await fetch(`${at}/v2/loras`, { method: 'POST', headers: { 'x-api-key': key.key }, body: form });
      expect(answer.status).toBe(504);
      const ledger = await impatient.app.services.store.readLedger(key.team, null, 100);
      expect(ledger.map((entry) => [entry.kind, entry.credits, entry.note])).toEqual([
        ['reserve', 2, ''],
        ['settle', 0, 'unclear: Apiframe did not answer in time'],
      ]);
      expect((await impatient.spend(key)).total).toBe(2);
    } finally {
      await impatient.close();
    }
  });
});

describe('LoRA credits in the metrics', () => {
  const counted = async (team: string, kind: string, name = 'credits_total', label = 'model') => {
    const metric = await gw.app.services.metrics.registry.getSingleMetric(`apiframe_gateway_${name}`)!.get();
    const wanted = label === 'model' ? 'flux-lora:training' : 'image';
    return metric.values
      .filter((v) => v.labels.team === team && v.labels.kind === kind && v.labels[label] === wanted)
      .reduce((sum, v) => sum + v.value, 0);
  };

  it('counts a training reserved and settled, and a failed one refunded, under flux-lora:training and image', async () => {
    const key = await gw.createKey();
    expect((await train(key)).status).toBe(202);
    const failed = await train(key, 15, { name: 'doomed [sim:fail]' });
    await call(key, 'GET', `/v2/loras/${failed.body.id}`);
    expect(await counted(key.team, 'reserved')).toBe(4);
    expect(await counted(key.team, 'settled')).toBe(4);
    expect(await counted(key.team, 'refunded')).toBe(2);
    expect(await counted(key.team, 'settled', 'modality_credits_total', 'modality')).toBe(4);
    expect(await counted(key.team, 'refunded', 'modality_credits_total', 'modality')).toBe(2);
  });
});

describe('refunds of failed trainings', () => {
  it('refunds once when a GET and the background pass see the failure at the same time', async () => {
    const key = await gw.createKey();
    const created = await train(key, 15, { name: 'doomed [sim:fail]' });
    expect(created.status).toBe(202);
    const [read] = await Promise.all([
      call(key, 'GET', `/v2/loras/${created.body.id}`),
      gw.app.services.objects.loraOutcomes.checkOnce(),
      call(key, 'GET', `/v2/loras/${created.body.id}`),
    ]);
    expect(read.body).toMatchObject({ status: 'FAILED' });
    expect(await ledgerOf(key)).toEqual([
      ['reserve', 2],
      ['settle', 0],
      ['refund', -2],
    ]);
    expect((await gw.spend(key)).total).toBe(0);
  });

  it('refunds once when a listing sees the failure, however often it is listed', async () => {
    const key = await gw.createKey();
    const created = await train(key, 15, { name: 'listed [sim:fail]' });
    for (let i = 0; i < 2; i += 1) {
      const listed = await call(key, 'GET', '/v2/loras');
      expect(listed.body.items).toEqual([expect.objectContaining({ id: created.body.id, status: 'FAILED' })]);
    }
    expect(await ledgerOf(key)).toEqual([
      ['reserve', 2],
      ['settle', 0],
      ['refund', -2],
    ]);
    expect(await gw.app.services.store.pendingLoras(key.team, 10)).toEqual([]);
  });

  it('refunds once when a DELETE archives the failed training unseen', async () => {
    const key = await gw.createKey();
    const created = await train(key, 15, { name: 'archived [sim:fail]' });
    expect((await call(key, 'DELETE', `/v2/loras/${created.body.id}`)).status).toBe(204);
    expect((await call(key, 'DELETE', `/v2/loras/${created.body.id}`)).status).toBe(204);
    expect(await ledgerOf(key)).toEqual([
      ['reserve', 2],
      ['settle', 0],
      ['refund', -2],
    ]);
    expect((await gw.spend(key)).total).toBe(0);
  });

  it('refunds a failure nobody looks at, on the background pass', async () => {
    const key = await gw.createKey();
    await train(key, 15, { name: 'unseen [sim:fail]' });
    const pass = await gw.app.services.objects.loraOutcomes.checkOnce();
    expect(pass.refunded).toBeGreaterThanOrEqual(2);
    expect((await gw.spend(key)).total).toBe(0);
    expect(await gw.app.services.store.pendingLoras(key.team, 10)).toEqual([]);
  });
});

describe("a team's LoRAs", () => {
  it('lists only the team’s own, page by page', async () => {
    const mine = [(await train(alice)).body.id, (await train(alice)).body.id];
    await train(bob);
    const all = await call(alice, 'GET', '/v2/loras');
    expect(all.body.items.map((lora: Json) => lora.id).sort()).toEqual([...mine].sort());
    expect(all.body.nextCursor).toBeNull();
    const first = await call(alice, 'GET', '/v2/loras?limit=1');
    expect(first.body.items).toHaveLength(1);
    const second = await call(alice, 'GET', `/v2/loras?limit=1&cursor=${first.body.nextCursor}`);
    expect([first.body.items[0].id, second.body.items[0].id]).toEqual([mine[1], mine[0]]);
  });

  it('answers 404 for another team’s LoRA, like an unknown one, and never asks Apiframe', async () => {
    const { id } = (await train(alice)).body;
    const before = forwarded(`/v2/loras/${id}`);
    for (const method of ['GET', 'DELETE']) {
      const answer = await call(bob, method, `/v2/loras/${id}`);
      expect(answer).toMatchObject({ status: 404, body: { code: 'GW_LORA_NOT_FOUND' } });
    }
    const unknown = await call(bob, 'GET', '/v2/loras/9a0b1c2d-3e4f-4a5b-8c7d-0e1f2a3b4c5d');
    expect(unknown.body).toEqual((await call(bob, 'GET', `/v2/loras/${id}`)).body);
    expect(forwarded(`/v2/loras/${id}`)).toBe(before);
  });

  it('archives the team’s own LoRA', async () => {
    const { id } = (await train(alice)).body;
    expect((await call(alice, 'DELETE', `/v2/loras/${id}`)).status).toBe(204);
    expect((await call(alice, 'GET', `/v2/loras/${id}`)).body.status).toBe('ARCHIVED');
    const listed = await call(alice, 'GET', '/v2/loras?includeArchived=true&limit=100');
    expect(listed.body.items.some((lora: Json) => lora.id === id)).toBe(true);
  });
});

describe('POST /v2/loras cut off by its caller', () => {
  it('releases the reservation when the client disconnects while the images stream', async () => {
    const key = await gw.createKey();
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    await new Promise((resolve) => socket.on('connect', resolve));
    socket.write(
      `POST /v2/loras HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key.key}\r\n` +
        'Content-Type: multipart/form-data; boundary=cut\r\nContent-Length: 10000000\r\n\r\n',
    );
    for await (const chunk of rawMultipart('cut', [
      { disposition: 'name="name"', content: 'cut off' },
      { disposition: 'name="images"; filename="0.png"', content: { type: 'png', bytes: 4096 } },
    ])) {
      if (!chunk.toString('latin1').startsWith('--cut--')) socket.write(chunk);
    }
    await vi.waitFor(async () => expect(await ledgerOf(key)).toEqual([['reserve', 2]]));
    socket.destroy();
    await vi.waitFor(async () =>
      expect(await ledgerOf(key)).toEqual([
        ['reserve', 2],
        ['release', -2],
      ]),
    );
    expect((await gw.spend(key)).total).toBe(0);
  });
});
