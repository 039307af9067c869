import { describe, expect, it } from 'vitest';
import { gatewayOnRedis, SEED_BODY } from '../helpers/gateway.js';

const ctx = gatewayOnRedis();

const submit = (key: string, idempotencyKey: string, body: object = SEED_BODY) =>
  ctx.gw.inject({
    method: 'POST',
    url: '/v2/images/generate',
    headers: { 'x-api-key': key, 'idempotency-key': idempotencyKey },
    payload: body,
  });
const upstreamPosts = () => ctx.gw.sim.requests.filter((r) => r.method === 'POST');

describe('Idempotency-Key', () => {
  it('turns 20 concurrent identical requests into one upstream call, one charge and one jobId', async () => {
    const key = await ctx.gw.createKey();
    const before = upstreamPosts().length;
    const answers = await Promise.all(Array.from({ length: 20 }, () => submit(key.key, 'order-42')));
    expect(answers.every((a) => a.statusCode === 202)).toBe(true);
    expect(new Set(answers.map((a) => a.json().jobId)).size).toBe(1);
    expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(19);
    expect(upstreamPosts().length - before).toBe(1);
    expect((await ctx.gw.spend(key)).total).toBe(3);
    console.log('idempotency: 20 concurrent requests with one key, 1 upstream call, 3 credits, 1 jobId');
  });

  it('replays the original answer to a later retry without charging again', async () => {
    const key = await ctx.gw.createKey();
    const first = await submit(key.key, 'retry-me');
    const before = upstreamPosts().length;
    const retry = await submit(key.key, 'retry-me', {
      ...SEED_BODY,
      seedreamParams: { aspect_ratio: '16:9', size: '4K' },
    });
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(upstreamPosts().length).toBe(before);
    expect((await ctx.gw.spend(key)).total).toBe(3);
  });

  it('refuses the same key with another body with 409', async () => {
    const key = await ctx.gw.createKey();
    await submit(key.key, 'reused');
    const conflict = await submit(key.key, 'reused', { ...SEED_BODY, prompt: 'something else' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toEqual({
      error: 'This Idempotency-Key was already used with a different request body',
      code: 'GW_IDEMPOTENCY_MISMATCH',
    });
    expect((await ctx.gw.spend(key)).total).toBe(3);
  });

  it('keeps each team key’s namespace apart, also upstream', async () => {
    const ours = await ctx.gw.createKey();
    const theirs = await ctx.gw.createKey();
    const before = upstreamPosts().length;
    const a = await submit(ours.key, 'shared-value');
    const b = await submit(theirs.key, 'shared-value');
    expect(a.json().jobId).not.toBe(b.json().jobId);
    const sent = upstreamPosts()
      .slice(before)
      .map((r) => String(r.headers['idempotency-key']));
    expect(sent).toHaveLength(2);
    expect(sent[0]).not.toBe(sent[1]);
    expect(sent.every((value) => /^gw_[0-9a-f]{64}$/.test(value))).toBe(true);
  });

  it('does not keep failures: a retry after an upstream error runs again and is charged once', async () => {
    const key = await ctx.gw.createKey();
    ctx.gw.sim.failAll(500);
    const failed = await submit(key.key, 'flaky');
    ctx.gw.sim.failAll(null);
    expect(failed.statusCode).toBe(502);
    const retried = await submit(key.key, 'flaky');
    expect(retried.statusCode).toBe(202);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect((await ctx.gw.spend(key)).total).toBe(3);
  });

  it('rejects a key longer than 255 characters', async () => {
    const key = await ctx.gw.createKey();
    const response = await submit(key.key, 'k'.repeat(256));
    expect(response.statusCode).toBe(400);
    expect(response.json().details).toEqual({ 'idempotency-key': ['must NOT have more than 255 characters'] });
  });
});
