// Assets through the gateway: registered for the caller's team after the spec's
// CreateAssetRequest check (a bad body never reaches Apiframe), read back by that team only;
// another team's id is the same 404 as an unknown one and is never sent upstream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type CreatedKey, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let alice: CreatedKey;
let bob: CreatedKey;

beforeAll(async () => {
  gw = await startGateway();
  alice = await gw.createKey();
  bob = await gw.createKey();
});
afterAll(() => gw.close());

const create = (key: CreatedKey, payload: object) =>
  gw.inject({ method: 'POST', url: '/v2/assets/create', headers: { 'x-api-key': key.key }, payload });
const read = (key: CreatedKey, assetId: string) =>
  gw.inject({ method: 'GET', url: `/v2/assets/${assetId}`, headers: { 'x-api-key': key.key } });
const forwarded = (prefix: string) => gw.sim.requests.filter((request) => request.url.startsWith(prefix)).length;

describe('assets', () => {
  it('registers an asset for the team and reads it back verbatim, free of credits', async () => {
    const created = await create(alice, { url: 'https://example.com/clip.mp4', type: 'video' });
    expect(created.statusCode, created.body).toBe(201);
    const { assetId } = created.json();
    const asset = await read(alice, assetId);
    expect(asset.statusCode).toBe(200);
    expect(asset.json()).toMatchObject({ id: assetId, url: 'https://example.com/clip.mp4', type: 'video' });
    expect((await gw.spend(alice)).total).toBe(0);
  });

  it('answers 404 for another team’s asset, like an unknown one, and never asks Apiframe', async () => {
    const { assetId } = (await create(alice, { url: 'https://example.com/a.png', type: 'image' })).json();
    const before = forwarded('/v2/assets/');
    const stolen = await read(bob, assetId);
    const unknown = await read(bob, 'asset_unknown');
    expect(stolen.statusCode).toBe(404);
    expect(stolen.json()).toEqual(unknown.json());
    expect(stolen.json()).toMatchObject({ code: 'GW_ASSET_NOT_FOUND' });
    expect(forwarded('/v2/assets/')).toBe(before);
  });

  it('refuses a body the spec refuses with 400 details, sending nothing', async () => {
    const before = forwarded('/v2/assets/create');
    for (const payload of [
      { url: 'https://example.com/a.png' },
      { url: 'not a url', type: 'image' },
      { url: 'https://example.com/a', type: 'pdf' },
    ]) {
      const answer = await create(alice, payload);
      expect(answer.statusCode).toBe(400);
      expect(answer.json().details).toBeDefined();
    }
    expect(forwarded('/v2/assets/create')).toBe(before);
  });
});
