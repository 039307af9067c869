// `apiframe-gateway-admin prices list` against a listening gateway priced by the example
// PRICING_FILE over the simulator's catalogue: each offered model with its rule, source and the
// reservation of a request naming no length or count; disabled models are not listed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startGateway, type TestGateway } from '../helpers/gateway.js';

const execute = promisify(execFile);
let gw: TestGateway;
let url: string;

beforeAll(async () => {
  gw = await startGateway({ env: { PRICING_FILE: 'examples/pricing.json', CATALOGUE_REFRESH_MS: '3600000' } });
  url = await gw.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => gw.close());

const cli = (...args: string[]) =>
  execute(process.execPath, ['--import', 'tsx', 'src/cli/admin.ts', '--url', url, ...args], {
    env: { PATH: process.env.PATH ?? '', ADMIN_TOKEN },
  });

interface Price {
  name: string;
  rule: { mode: string; credits: number; source: string; maxSeconds?: number } | null;
  exampleBound: number | null;
  unpricedBecause: string | null;
}

describe('prices list', () => {
  it('answers each offered model’s rule, source and example bound as JSON', async () => {
    const { stdout } = await cli('--json', 'prices', 'list');
    const prices = new Map((JSON.parse(stdout).prices as Price[]).map((price) => [price.name, price]));
    expect(prices.get('kling-2.1')).toMatchObject({
      rule: { mode: 'per-second', credits: 14, source: 'operator' },
      exampleBound: 140,
    });
    expect(prices.get('kling-2.6')).toMatchObject({ rule: { source: 'catalogue' }, exampleBound: 70 });
    expect(prices.get('topaz-video-upscale')).toMatchObject({
      rule: { mode: 'per-second', credits: 4, source: 'catalogue', maxSeconds: 60 },
      exampleBound: 240,
    });
    expect(prices.get('gpt-image-1.5')).toMatchObject({ exampleBound: 5 });
    expect(prices.get('sora-2')).toMatchObject({ rule: null, exampleBound: null });
    expect(prices.get('sora-2')!.unpricedBecause).toContain('sora-2 has no price');
    expect(prices.has('dall-e-2')).toBe(false);
    expect(prices.has('suno')).toBe(false);
  });

  it('prints a table of the priced ones', async () => {
    const { stdout } = await cli('prices', 'list', '--priced');
    expect(stdout).toMatch(/kling-2\.1\s*│\s*\/v2\/videos\/generate\s*│\s*per-second\s*│\s*14/);
    expect(stdout).toContain('maxSeconds 60');
    expect(stdout).not.toContain('sora-2');
  });
});
