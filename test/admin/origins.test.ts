import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, gatewayOnRedis, SEED_BODY } from '../helpers/gateway.js';

const ctx = gatewayOnRedis();
const APP = 'https://app.example.com';
const EVIL = 'https://evil.example.net';

const preflight = (origin: string) =>
  ctx.gw.inject({
    method: 'OPTIONS',
    url: '/v2/images/generate',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'x-api-key,content-type',
    },
  });

describe('browser origins', () => {
  it('works from an allowed origin: preflight and request', async () => {
    const key = await ctx.gw.createKey({ allowedOrigins: [APP] });
    const answer = await preflight(APP);
    expect(answer.statusCode).toBe(204);
    expect(answer.headers['access-control-allow-origin']).toBe(APP);
    expect(String(answer.headers['access-control-allow-headers']).toLowerCase()).toContain('x-api-key');
    const response = await ctx.gw.inject({
      method: 'POST',
      url: '/v2/images/generate',
      headers: { origin: APP, 'x-api-key': key.key },
      payload: SEED_BODY,
    });
    expect(response.statusCode).toBe(202);
    expect(response.headers['access-control-allow-origin']).toBe(APP);
  });

  it('refuses any other origin: no CORS grant on the preflight, 403 on the request', async () => {
    const key = await ctx.gw.createKey({ allowedOrigins: [APP] });
    const answer = await preflight(EVIL);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    const response = await ctx.gw.inject({
      method: 'POST',
      url: '/v2/images/generate',
      headers: { origin: EVIL, 'x-api-key': key.key },
      payload: SEED_BODY,
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({
      error: `Origin ${EVIL} is not allowed for this key`,
      code: 'GW_ORIGIN_NOT_ALLOWED',
    });
    expect((await ctx.gw.spend(key)).total).toBe(0);
  });

  it('refuses a key without origins when an Origin is sent, even one another key allows', async () => {
    await ctx.gw.createKey({ allowedOrigins: [APP] });
    const serverKey = await ctx.gw.createKey();
    const response = await ctx.gw.inject({
      method: 'GET',
      url: '/v2/me',
      headers: { origin: APP, 'x-api-key': serverKey.key },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'GW_BROWSER_NOT_ALLOWED' });
    expect(
      (await ctx.gw.inject({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': serverKey.key } })).statusCode,
    ).toBe(200);
  });

  it('grants a preflight to an origin added by a later key update', async () => {
    const key = await ctx.gw.createKey();
    const late = 'https://late.example.org';
    expect((await preflight(late)).headers['access-control-allow-origin']).toBeUndefined();
    await ctx.gw.inject({
      method: 'PATCH',
      url: `/admin/keys/${key.id}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { allowedOrigins: [late] },
    });
    const started = Date.now();
    while ((await preflight(late)).headers['access-control-allow-origin'] !== late) {
      expect(Date.now() - started).toBeLessThan(1_000);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
});
