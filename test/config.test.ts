import { describe, expect, it } from 'vitest';
import { ConfigError, configSecrets, loadConfig } from '../src/config.js';

const base = { APIFRAME_API_KEY: 'afk_config_test_key' };

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      PORT: 8080,
      HOST: '0.0.0.0',
      APIFRAME_BASE_URL: 'https://api.apiframe.ai',
      LOG_LEVEL: 'info',
      operatorPricing: { rules: { 'seedream-4': { mode: 'flat', credits: 3, source: 'operator' } } },
    });
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.ADMIN_TOKEN).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('gives reservations a lease that outlasts a submission, its recording and 5 s of clock skew', () => {
    expect(loadConfig(base).reservationLeaseMs).toBe(72_000);
    expect(loadConfig({ ...base, UPSTREAM_TIMEOUT_MS: '2000', REDIS_TIMEOUT_MS: '500' }).reservationLeaseMs).toBe(
      14_500,
    );
    expect(
      loadConfig({ ...base, UPSTREAM_TIMEOUT_MS: '2000', REDIS_TIMEOUT_MS: '500', RESERVATION_LEASE_MS: '7500' })
        .reservationLeaseMs,
    ).toBe(7_500);
  });

  it('reads WEBHOOK_ALLOWED_HOSTS as a frozen list of hosts, blanks dropped', () => {
    expect(loadConfig(base).webhookAllowedHosts).toEqual([]);
    const { webhookAllowedHosts } = loadConfig({ ...base, WEBHOOK_ALLOWED_HOSTS: ' hooks.internal, 127.0.0.1 ,,' });
    expect(webhookAllowedHosts).toEqual(['hooks.internal', '127.0.0.1']);
    expect(Object.isFrozen(webhookAllowedHosts)).toBe(true);
  });

  it('converts numbers and treats empty values as unset', () => {
    const config = loadConfig({ ...base, PORT: '9000', REDIS_URL: '' });
    expect(config.PORT).toBe(9000);
    expect(config.REDIS_URL).toBeUndefined();
  });

  it.each([
    [{}, 'APIFRAME_API_KEY is required'],
    [{ ...base, PORT: 'eighty' }, 'PORT is invalid'],
    [{ ...base, PORT: '70000' }, 'PORT is invalid'],
    [{ ...base, LOG_LEVEL: 'loud' }, 'LOG_LEVEL is invalid'],
    [{ ...base, APIFRAME_BASE_URL: 'ftp://x' }, 'APIFRAME_BASE_URL is invalid'],
    [{ ...base, REDIS_URL: 'localhost:6379' }, 'REDIS_URL is invalid'],
    [{ ...base, ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN is invalid'],
    [{ ...base, PRICING: '{nope' }, 'PRICING is invalid (not JSON)'],
    [{ ...base, PRICING: '{"seedream-4": -1}' }, 'PRICING is invalid'],
    [{ ...base, PRICING: '{"dall-e-9": 3}' }, 'PRICING is invalid (unsupported model dall-e-9'],
    [{ ...base, NODE_ENV: 'production' }, 'REDIS_URL is required when NODE_ENV=production'],
    [
      { ...base, CATALOGUE_REFRESH_MS: '3600000', CATALOGUE_MAX_AGE_MS: '3600000' },
      'CATALOGUE_MAX_AGE_MS is invalid (longer than CATALOGUE_REFRESH_MS',
    ],
    [
      { ...base, UPSTREAM_TIMEOUT_MS: '30000', RESERVATION_LEASE_MS: '31000' },
      'RESERVATION_LEASE_MS is invalid (at least 37000',
    ],
    [
      { ...base, UPSTREAM_TIMEOUT_MS: '2000', RESERVATION_LEASE_MS: '4000' },
      'RESERVATION_LEASE_MS is invalid (at least 9000',
    ],
    [{ ...base, REDIS_URL: 'redis://:%zz@redis:6379' }, 'REDIS_URL is invalid (not a valid URL)'],
  ])('stops with one line naming the variable: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  // Logs are scrubbed of every configured secret; these could not be told apart or found.
  it.each([
    ['ADMIN_TOKEN', { ADMIN_TOKEN: 'admin-token-with-a-"quote' }],
    ['ADMIN_TOKEN', { ADMIN_TOKEN: 'admin-token-with-a-\\backslash' }],
    ['METRICS_TOKEN', { METRICS_TOKEN: 'metrics-token-with-a-\ttab' }],
    ['APIFRAME_API_KEY', { APIFRAME_API_KEY: 'afk_123' }],
    ['REDIS_PASSWORD', { REDIS_SENTINELS: 'sentinel:26379', REDIS_PASSWORD: 'seven77' }],
    ['REDIS_URL', { REDIS_URL: 'redis://:seven77@redis:6379' }],
    ['REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: 'redis://:long-enough@a:6379,redis://:seven77@b:6379' }],
  ])('refuses a secret that log scrubbing could miss: %s', (variable, env) => {
    const refusal = (() => {
      try {
        loadConfig({ ...base, ...env });
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as Error).message).toMatch(new RegExp(`^${variable} is invalid`));
    for (const value of Object.values(env)) expect((refusal as Error).message).not.toContain(value);
  });

  it('scrubs a Redis password both decoded and as written in the URL', () => {
    const secrets = configSecrets(loadConfig({ ...base, REDIS_URL: 'redis://:p%40ss-word-1@redis:6379' }));
    expect(secrets).toEqual(expect.arrayContaining(['p@ss-word-1', 'p%40ss-word-1']));
  });

  it('never puts a secret value in its message', () => {
    try {
      loadConfig({ ...base, ADMIN_TOKEN: 'tiny-secret' });
      expect.fail('should have thrown');
    } catch (error) {
      expect(String(error)).not.toContain('tiny-secret');
    }
  });
});

describe('PRICING', () => {
  it('prices any model or action of Apiframe’s spec, by the names the gateway gives them', () => {
    const pricing = { 'kling-2.1': 70, 'flux-2-pro': 6, 'midjourney:upsample': 2, 'suno:add_vocals': 5 };
    const { rules } = loadConfig({ ...base, PRICING: JSON.stringify(pricing) }).operatorPricing;
    expect(Object.fromEntries(Object.entries(rules).map(([name, rule]) => [name, rule.credits]))).toEqual(pricing);
    expect(Object.values(rules).every((rule) => rule.mode === 'flat' && rule.source === 'operator')).toBe(true);
  });

  it('refuses an action the spec does not have', () => {
    expect(() => loadConfig({ ...base, PRICING: '{"midjourney:zoom": 2}' })).toThrow(
      'PRICING is invalid (unsupported model midjourney:zoom',
    );
  });
});
