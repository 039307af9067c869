// Job bodies that name an upload or a LoRA: another team's is refused with the same 404 as an
// unknown one, before anything is charged or sent, however its URL is spelt and wherever in the
// body it stands; the team's own passes, and a URL no team uploaded through the gateway passes too
// (any public URL is a valid input). An asset registered from another team's upload is refused too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileOf, loraForm, uploadForm } from '../helpers/files.js';
import { SEED_BODY, startGateway, type CreatedKey, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let alice: CreatedKey;
let bob: CreatedKey;
let url: string;

beforeAll(async () => {
  gw = await startGateway({ env: { PRICING: '{"seedream-4":3,"flux-lora":4}' } });
  alice = await gw.createKey();
  bob = await gw.createKey();
  url = await gw.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => gw.close());

async function created(key: CreatedKey, path: string, form: FormData): Promise<{ id: string; url?: string }> {
  const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'x-api-key': key.key }, body: form });
  expect(response.status).toBeLessThan(300);
  return (await response.json()) as { id: string; url?: string };
}

const submissions = () => gw.sim.requests.filter((request) => request.url === '/v2/images/generate').length;

const seedreamWith = (image: string) => ({ ...SEED_BODY, seedreamParams: { image_input: [image] } });
const fluxLora = (loraId: string) => ({ model: 'flux-lora', prompt: 'me, on the moon', fluxLoraParams: { loraId } });

describe('references in job bodies', () => {
  it('refuses another team’s upload URL as not found, charging and sending nothing', async () => {
    const upload = await created(bob, '/v2/uploads', uploadForm(fileOf('png')));
    const before = submissions();
    const answer = await gw.generate(alice.key, seedreamWith(upload.url!));
    expect(answer.statusCode).toBe(404);
    expect(answer.json()).toMatchObject({ code: 'GW_UPLOAD_NOT_FOUND' });
    expect(submissions()).toBe(before);
    expect((await gw.spend(alice)).total).toBe(0);
    expect((await gw.generate(bob.key, seedreamWith(upload.url!))).statusCode).toBe(202);
    expect((await gw.generate(alice.key, seedreamWith('https://example.com/any.png'))).statusCode).toBe(202);
  });

  it('refuses another team’s upload URL however it is spelt, inside a prompt or another URL', async () => {
    const stolen = (await created(bob, '/v2/uploads', uploadForm(fileOf('png')))).url!;
    const host = new URL(stolen).host;
    const spellings = [
      `${stolen}?x=1`,
      `${stolen}#f`,
      stolen.replace(host, host.toUpperCase()),
      stolen.replace('https:', 'http:'),
      stolen.replace(host, `${host}:443`),
      stolen.replace('/uploads/', '//uploads/'),
    ];
    const bodies = [
      ...spellings.map(seedreamWith),
      { ...SEED_BODY, prompt: `a cat in the style of ${stolen}, at dusk` },
      seedreamWith(`https://proxy.example/fetch?u=${encodeURIComponent(stolen)}`),
      { ...SEED_BODY, prompt: `${stolen.toUpperCase().replace(/\/UPLOADS\/.*/, new URL(stolen).pathname)} a cat` },
    ];
    const [before, spent] = [submissions(), (await gw.spend(alice)).total];
    for (const body of bodies) {
      const answer = await gw.generate(alice.key, body);
      expect(answer.statusCode, JSON.stringify(body)).toBe(404);
      expect(answer.json()).toMatchObject({ code: 'GW_UPLOAD_NOT_FOUND' });
    }
    expect(submissions()).toBe(before);
    expect((await gw.spend(alice)).total).toBe(spent);
    expect((await gw.generate(bob.key, { ...SEED_BODY, prompt: `like ${stolen}?v=2` })).statusCode).toBe(202);
  });

  it('refuses a body naming more URLs than it checks with 400, instead of checking only some', async () => {
    const urls = Array.from({ length: 65 }, (_, i) => `https://example.com/${i}.png`);
    const before = submissions();
    const answer = await gw.generate(alice.key, { ...SEED_BODY, prompt: urls.join(' ') });
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toMatchObject({ error: 'Validation failed', details: { $: [expect.stringMatching(/64/)] } });
    expect(submissions()).toBe(before);
    const atTheLimit = await gw.generate(alice.key, { ...SEED_BODY, prompt: urls.slice(0, 64).join(' ') });
    expect(atTheLimit.statusCode).toBe(202);
    const manyStarts = await gw.generate(alice.key, { ...SEED_BODY, prompt: 'https:'.repeat(300) });
    expect(manyStarts.statusCode).toBe(400);
    expect(manyStarts.json().details).toEqual({ $: [expect.stringMatching(/64/)] });
  });

  it('refuses another team’s LoRA, and an unknown one, with the same 404, charging and sending nothing', async () => {
    const lora = await created(bob, '/v2/loras', loraForm(15));
    const before = submissions();
    const spent = (await gw.spend(alice)).total;
    const stolen = await gw.generate(alice.key, fluxLora(lora.id));
    const unknown = await gw.generate(alice.key, fluxLora('9a0b1c2d-3e4f-4a5b-8c7d-0e1f2a3b4c5d'));
    expect(stolen.statusCode).toBe(404);
    expect(stolen.json()).toEqual(unknown.json());
    expect(stolen.json()).toMatchObject({ code: 'GW_LORA_NOT_FOUND' });
    expect(submissions()).toBe(before);
    expect((await gw.spend(alice)).total).toBe(spent);
  });

  it('lets the team’s own LoRA through to Apiframe', async () => {
    const lora = await created(alice, '/v2/loras', loraForm(15));
    const before = submissions();
    const answer = await gw.generate(alice.key, fluxLora(lora.id));
    expect(answer.statusCode).not.toBe(404);
    expect(submissions()).toBe(before + 1);
  });
});

describe('references in asset registrations', () => {
  const register = (key: CreatedKey, assetUrl: string) =>
    gw.inject({
      method: 'POST',
      url: '/v2/assets/create',
      headers: { 'x-api-key': key.key },
      payload: { url: assetUrl, type: 'image' },
    });

  it('refuses an asset made of another team’s upload as not found, sending nothing', async () => {
    const upload = await created(bob, '/v2/uploads', uploadForm(fileOf('png')));
    const before = gw.sim.requests.filter((request) => request.url === '/v2/assets/create').length;
    for (const assetUrl of [upload.url!, `${upload.url!}?x=1`]) {
      const answer = await register(alice, assetUrl);
      expect(answer.statusCode).toBe(404);
      expect(answer.json()).toMatchObject({ code: 'GW_UPLOAD_NOT_FOUND' });
    }
    expect(gw.sim.requests.filter((request) => request.url === '/v2/assets/create').length).toBe(before);
    expect((await register(bob, upload.url!)).statusCode).toBe(201);
  });
});
