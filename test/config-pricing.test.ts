// PRICING_FILE and ENABLED_MODELS: checked at start, each bad entry a ConfigError naming it; the
// file's rules win over PRICING; enabled and disabled lists of models and modalities. The example
// file the README shows is loaded here, so it cannot rot.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { APIFRAME_JOB_OPERATIONS, priceName } from '../src/schemas/apiframe-spec.js';

const BASE = { APIFRAME_API_KEY: 'afk_test_key_0123456789' };
const dir = mkdtempSync(join(tmpdir(), 'pricing-file-'));
let files = 0;
function pricingFile(content: unknown): string {
  const path = join(dir, `pricing-${++files}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}
const load = (env: Record<string, string>) => loadConfig({ ...BASE, ...env });

describe('PRICING_FILE', () => {
  it('loads the example file of the README', () => {
    const { operatorPricing } = load({ PRICING_FILE: 'examples/pricing.json' });
    expect(operatorPricing.rules['kling-2.1']).toEqual({ mode: 'per-second', credits: 14, source: 'operator' });
    expect(operatorPricing.rules['seedream-4']).toEqual({ mode: 'flat', credits: 3, source: 'operator' });
    expect(operatorPricing.ceilings['topaz-video-upscale']).toEqual({ maxSeconds: 60 });
    expect(operatorPricing.enabledModels).not.toContain('dall-e-2');
    expect(operatorPricing.enabledModels).not.toContain('suno');
    expect(operatorPricing.enabledModels).toContain('kling-2.1');
  });

  it('is shown in the README as it is', () => {
    expect(readFileSync('README.md', 'utf8')).toContain(readFileSync('examples/pricing.json', 'utf8').trim());
  });

  it('wins over PRICING, whose flat prices stay rules of their own', () => {
    const path = pricingFile({ rules: { 'seedream-4': { mode: 'flat', credits: 4 } } });
    const { operatorPricing } = load({ PRICING: '{"seedream-4":3,"suno":6}', PRICING_FILE: path });
    expect(operatorPricing.rules['seedream-4']!.credits).toBe(4);
    expect(operatorPricing.rules.suno).toEqual({ mode: 'flat', credits: 6, source: 'operator' });
  });

  it.each([
    [{ rules: { 'kling-2.1': { mode: 'per-minute', credits: 1 } } }, 'rules.kling-2.1'],
    [{ rules: { 'kling-2.1': { mode: 'flat', credits: -1 } } }, 'rules.kling-2.1'],
    [{ ceilings: { 'topaz-video-upscale': { maxSecs: 60 } } }, 'ceilings.topaz-video-upscale'],
    [{ enabled: 'image' }, 'enabled'],
    [{ prices: {} }, 'prices'],
    [{ rules: { 'kling-9': 5 } }, 'unsupported model kling-9'],
    [{ disabled: ['sculpture'] }, 'unsupported model sculpture'],
    ['{ not json', 'PRICING_FILE is invalid'],
  ])('refuses %j with a ConfigError naming %s', (content, named) => {
    const attempt = () => load({ PRICING_FILE: pricingFile(content) });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(named);
  });

  it('can key rules by name alone: no model or action belongs to two operations of the spec', () => {
    const names = APIFRAME_JOB_OPERATIONS.flatMap((operation) =>
      [...operation.branches.keys()].map((value) => priceName(operation, value)),
    );
    expect(new Set(names).size).toBe(names.length);
  });

  it('refuses a path that cannot be read, naming it', () => {
    expect(() => load({ PRICING_FILE: join(dir, 'absent.json') })).toThrow(/PRICING_FILE is invalid \(.*absent\.json/);
  });
});

describe('ENABLED_MODELS', () => {
  it('offers every model and action when unset', () => {
    const { enabledModels } = load({}).operatorPricing;
    expect(enabledModels).toContain('seedream-4');
    expect(enabledModels).toContain('midjourney:upsample');
    expect(enabledModels).toContain('suno');
  });

  it('offers only the models and modalities listed, less what the file disables', () => {
    const disabled = pricingFile({ disabled: ['kling-2.1'] });
    const { enabledModels } = load({ ENABLED_MODELS: 'video,seedream-4', PRICING_FILE: disabled }).operatorPricing;
    expect(enabledModels).toContain('seedream-4');
    expect(enabledModels).toContain('sora-2');
    expect(enabledModels).toContain('topaz-video-upscale');
    expect(enabledModels).not.toContain('kling-2.1');
    expect(enabledModels).not.toContain('flux-2-pro');
    expect(enabledModels).not.toContain('suno');
  });

  it('refuses a name that is neither a model, an action nor a modality', () => {
    expect(() => load({ ENABLED_MODELS: 'image,kling-9' })).toThrow(
      'ENABLED_MODELS is invalid (unsupported model kling-9',
    );
  });
});
