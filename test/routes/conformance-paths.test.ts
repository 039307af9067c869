// Every path and method of Apiframe's spec (the committed copy) is served by the gateway: each
// answers with something other than the gateway's "no such route", whatever else it answers to a
// body made of nothing (a path's {id} is an unknown uuid).
import spec from '#apiframe-spec' with { type: 'json' };
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type CreatedKey, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let key: CreatedKey;

beforeAll(async () => {
  gw = await startGateway();
  key = await gw.createKey();
});
afterAll(() => gw.close());

const CALLS = Object.entries((spec as { paths: Record<string, object> }).paths).flatMap(([path, methods]) =>
  Object.keys(methods).map((method) => [method.toUpperCase(), path] as const),
);

describe("every path and method of Apiframe's spec", () => {
  it('covers the uploads, LoRA and asset paths', () => {
    const paths = CALLS.map(([method, path]) => `${method} ${path}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'POST /v2/uploads',
        'GET /v2/loras',
        'POST /v2/loras',
        'GET /v2/loras/{id}',
        'DELETE /v2/loras/{id}',
        'POST /v2/assets/create',
        'GET /v2/assets/{assetId}',
      ]),
    );
  });

  it.each(CALLS)('%s %s is answered', async (method, path) => {
    const url = path.replace(/\{[^}]+\}/g, '9a0b1c2d-3e4f-4a5b-8c7d-0e1f2a3b4c5d');
    const json = method === 'POST' && !['/v2/uploads', '/v2/loras'].includes(path);
    const response = await gw.inject({
      method: method as 'GET',
      url,
      headers: { 'x-api-key': key.key, ...(json && { 'content-type': 'application/json' }) },
      ...(json && { payload: '{}' }),
    });
    expect(response.json().code, response.body).not.toBe('GW_ROUTE_NOT_FOUND');
    expect(response.statusCode, response.body).toBeLessThan(500);
  });
});
