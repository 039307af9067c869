import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewaysSharingRedis, startGateway, type TestGateway } from '../helpers/gateway.js';

const env = { RATE_LIMIT_GENERATE_PER_MINUTE: '5', RATE_LIMIT_READS_PER_MINUTE: '8' };
const shared = gatewaysSharingRedis({ env });
let memory: TestGateway;
beforeAll(async () => {
  memory = await startGateway({ sim: shared.sim, env });
});
afterAll(async () => {
  await memory.close();
});

describe('per-key rate limits', () => {
  it('lets everything under the limit through, announcing the policy and what remains', async () => {
    const key = await shared.first.createKey();
    for (let i = 0; i < 5; i++) {
      const response = await shared.first.generate(key.key);
      expect(response.statusCode).toBe(202);
      expect(response.headers['ratelimit-policy']).toBe('"generate";q=5;w=60');
      expect(response.headers.ratelimit).toMatch(new RegExp(`^"generate";r=${4 - i};t=\\d+$`));
    }
  });

  it('refuses a burst over the limit with 429, Retry-After and an Apiframe-shaped body, charging nothing', async () => {
    const key = await shared.first.createKey();
    const responses = await Promise.all(Array.from({ length: 8 }, () => shared.first.generate(key.key)));
    const refused = responses.filter((r) => r.statusCode === 429);
    expect(responses.filter((r) => r.statusCode === 202)).toHaveLength(5);
    expect(refused).toHaveLength(3);
    for (const response of refused) {
      expect(response.json()).toEqual({
        error: 'Rate limit exceeded: generate requests are limited to 5 a minute for this key; retry later',
        code: 'GW_RATE_LIMITED',
      });
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(response.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(response.headers.ratelimit).toMatch(/^"generate";r=0;t=\d+$/);
    }
    expect((await shared.first.spend(key)).total).toBe(15);
  });

  it('keeps reads apart from submissions', async () => {
    const key = await shared.first.createKey();
    const { jobId } = (await shared.first.generate(key.key)).json();
    for (let i = 0; i < 5; i++) await shared.first.generate(key.key);
    const reads = await Promise.all(Array.from({ length: 10 }, () => shared.first.poll(key.key, jobId)));
    expect(reads.filter((r) => r.statusCode === 200)).toHaveLength(8);
    expect(reads.filter((r) => r.statusCode === 429)).toHaveLength(2);
    expect(reads[0]!.headers['ratelimit-policy']).toBe('"reads";q=8;w=60');
  });

  it('holds one limit across two instances', async () => {
    const key = await shared.first.createKey();
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => [shared.first, shared.second][i % 2]!.generate(key.key)),
    );
    expect(responses.filter((r) => r.statusCode === 202)).toHaveLength(5);
    expect(responses.filter((r) => r.statusCode === 429)).toHaveLength(5);
  });

  it('follows a key’s own limit', async () => {
    const strict = await shared.first.createKey({ rateLimit: { generatePerMinute: 2, readsPerMinute: null } });
    const strictAnswers = await Promise.all(Array.from({ length: 4 }, () => shared.first.generate(strict.key)));
    expect(strictAnswers.filter((r) => r.statusCode === 202)).toHaveLength(2);
    expect(strictAnswers[0]!.headers['ratelimit-policy']).toBe('"generate";q=2;w=60');
  });

  it('works with the embedded store too', async () => {
    const key = await memory.createKey();
    const responses = await Promise.all(Array.from({ length: 7 }, () => memory.generate(key.key)));
    expect(responses.filter((r) => r.statusCode === 202)).toHaveLength(5);
    expect(responses.filter((r) => r.statusCode === 429)).toHaveLength(2);
  });
});
