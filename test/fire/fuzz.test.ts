// Property-based fuzzing of bodies, headers and query strings: never a 5xx, never a charge for
// a 4xx, never a secret in an answer. FUZZ_RUNS sets the cases per property (10,000 for the
// long run, `npm run test:soak`).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  expectNoSecrets,
  gatewayOnRedis,
  SEED_BODY,
  UPSTREAM_KEY,
  type CreatedKey,
} from '../helpers/gateway.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
/** Room for the long run: about 5 ms a case, never less than the default 30 s. */
const TIMEOUT = Math.max(30_000, RUNS * 5 * 3);
const ctx = gatewayOnRedis();
let cases = 0;
let accepted = 0;

/** Values of any JSON type, and mutations of a valid body that stay close enough to matter. */
const jsonValue = fc.jsonValue({ maxDepth: 3 });
const seedreamParams = fc.dictionary(
  fc.constantFrom(
    'aspect_ratio',
    'size',
    'width',
    'height',
    'image_input',
    'enhance_prompt',
    'guidance_scale',
    'seed',
    'output_format',
    'resolution',
    'use_pre_llm',
    'colour',
  ),
  fc.oneof(
    jsonValue,
    fc.constantFrom('custom', '4K', '16:9', 'match_input_image', 1024, 4096, 5000, ['https://a.example/x.png']),
  ),
);
const body = fc.oneof(
  jsonValue,
  fc.record(
    { prompt: fc.string({ minLength: 1, maxLength: 80 }), model: fc.constant('seedream-4'), seedreamParams },
    { requiredKeys: ['prompt', 'model'] },
  ),
  fc.record(
    {
      prompt: fc.oneof(fc.string({ maxLength: 2100 }), jsonValue),
      model: fc.oneof(fc.constant('seedream-4'), fc.string(), jsonValue),
      seedreamParams: fc.oneof(seedreamParams, jsonValue),
      webhookUrl: fc.oneof(fc.webUrl(), fc.string()),
      webhookEvents: fc.oneof(fc.array(fc.constantFrom('progress', 'completed', 'failed', 'done')), jsonValue),
      extra: jsonValue,
    },
    { requiredKeys: [] },
  ),
);

async function spendOf(key: CreatedKey): Promise<number> {
  return (await ctx.gw.spend(key)).total;
}

function checkAnswer(response: { statusCode: number; body: string; headers: object }, sent: string[]): void {
  cases += 1;
  expect(response.statusCode, response.body).toBeLessThan(500);
  expectNoSecrets(
    response.body + JSON.stringify(response.headers),
    [UPSTREAM_KEY, ADMIN_TOKEN, ...sent],
    'a fuzzed answer',
  );
}

describe('fuzzing', () => {
  it(
    'never answers a generate body with a 5xx, and charges only what it accepts',
    async () => {
      const key = await ctx.gw.createKey();
      await fc.assert(
        fc.asyncProperty(body, async (payload) => {
          const before = await spendOf(key);
          const response = await ctx.gw.inject({
            method: 'POST',
            url: '/v2/images/generate',
            headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
            payload: JSON.stringify(payload),
          });
          checkAnswer(response, [key.key]);
          const charged = (await spendOf(key)) - before;
          expect(charged).toBe(response.statusCode === 202 ? 3 : 0);
          if (response.statusCode === 202) accepted += 1;
        }),
        { numRuns: RUNS },
      );
      expect(accepted, 'some fuzzed bodies are valid, so the charging path is exercised too').toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    'never answers raw bytes and odd content types with a 5xx',
    async () => {
      const key = await ctx.gw.createKey();
      await fc.assert(
        fc.asyncProperty(
          fc.string({ maxLength: 500 }),
          fc.constantFrom(
            'application/json',
            'application/json; charset=utf-8',
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            '',
          ),
          async (raw, contentType) => {
            const response = await ctx.gw.inject({
              method: 'POST',
              url: '/v2/images/generate',
              headers: { 'x-api-key': key.key, ...(contentType && { 'content-type': contentType }) },
              payload: raw,
            });
            checkAnswer(response, [key.key]);
            if (response.statusCode !== 202) expect(await spendOf(key)).toBe(0);
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'never answers odd credentials with anything but 401, and never echoes them',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string({ maxLength: 200 }),
            fc.string({ maxLength: 60 }).map((s) => `gk_${s}`),
          ),
          fc.constantFrom('x-api-key', 'authorization'),
          async (secret, header) => {
            const value = header === 'authorization' ? `Bearer ${secret}` : secret;
            if (!/^[\t\x20-\x7e]*$/.test(value)) return;
            const response = await ctx.gw.inject({
              method: 'POST',
              url: '/v2/images/generate',
              headers: { [header]: value },
              payload: SEED_BODY,
            });
            checkAnswer(response, secret.trim().length >= 8 ? [secret.trim()] : []);
            expect(response.statusCode).toBe(401);
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'never answers fuzzed query strings with a 5xx',
    async () => {
      const key = await ctx.gw.createKey({ scopes: ['generate', 'usage:read'] });
      const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const param = fc.tuple(
        fc.constantFrom(
          'limit',
          'cursor',
          'status',
          'model',
          'scope',
          'search',
          'include_models',
          'from',
          'to',
          'groupBy',
          'team',
          'key',
          'format',
          'x',
        ),
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.integer().map(String),
          fc.constantFrom('2026-11-01', 'team,key', 'csv', 'ndjson', 'team'),
        ),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(
            '/v2/jobs',
            '/v2/usage',
            '/admin/usage',
            '/admin/usage/events',
            '/admin/usage/reconciliation',
            '/admin/keys',
            '/admin/audit',
          ),
          fc.array(param, { maxLength: 4 }),
          async (path, params) => {
            const query = new URLSearchParams(params).toString();
            const headers = path.startsWith('/admin') ? admin : { 'x-api-key': key.key };
            const response = await ctx.gw.inject({ method: 'GET', url: `${path}?${query}`, headers });
            checkAnswer(response, [key.key]);
          },
        ),
        { numRuns: RUNS },
      );
      console.log(
        `fuzzing: ${cases} cases (${RUNS} per property, ${accepted} bodies accepted and charged 3 each), no 5xx, no charge for a refusal, no secret echoed`,
      );
    },
    TIMEOUT,
  );
});
