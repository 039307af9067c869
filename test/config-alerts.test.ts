// The default alert thresholds: ALERT_THRESHOLDS, or the pricing file's `alertThresholds`, which
// wins; a bad value of either refuses to start with one line naming it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const BASE = { APIFRAME_API_KEY: 'afk_test_key_0123456789' };
const dir = mkdtempSync(join(tmpdir(), 'alert-thresholds-'));
let files = 0;
function pricingFile(content: unknown): string {
  const path = join(dir, `pricing-${++files}.json`);
  writeFileSync(path, JSON.stringify(content));
  return path;
}
const load = (env: Record<string, string>) => loadConfig({ ...BASE, ...env });

function refusal(env: Record<string, string>): string {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('alert thresholds in the configuration', () => {
  it('defaults to 50, 80 and 100 %, takes ALERT_THRESHOLDS, and `none` for no threshold alerts', () => {
    expect(load({}).alertThresholds).toEqual([50, 80, 100]);
    expect(load({ ALERT_THRESHOLDS: '75,90' }).alertThresholds).toEqual([75, 90]);
    expect(load({ ALERT_THRESHOLDS: 'none' }).alertThresholds).toEqual([]);
  });

  it("lets the pricing file's alertThresholds win over ALERT_THRESHOLDS", () => {
    const path = pricingFile({ rules: { 'seedream-4': 3 }, alertThresholds: [30, 60] });
    expect(load({ ALERT_THRESHOLDS: '75', PRICING_FILE: path }).alertThresholds).toEqual([30, 60]);
  });

  it.each([
    ['0,50', 'ALERT_THRESHOLDS is invalid (each must be a whole percent in (0, 100])'],
    ['50,101', 'ALERT_THRESHOLDS is invalid (each must be a whole percent in (0, 100])'],
    ['80,80', 'ALERT_THRESHOLDS is invalid (thresholds must be distinct)'],
    ['1,2,3,4,5,6,7,8,9,10,11', 'ALERT_THRESHOLDS is invalid (at most 10 thresholds)'],
    ['12.5', 'ALERT_THRESHOLDS is invalid'],
    ['eighty', 'ALERT_THRESHOLDS is invalid'],
  ])('refuses ALERT_THRESHOLDS=%s with one line', (value, message) => {
    const refused = refusal({ ALERT_THRESHOLDS: value });
    expect(refused.startsWith(message)).toBe(true);
    expect(refused).not.toContain('\n');
  });

  it.each([[[0]], [[101]], [[50, 50]], [[12.5]], [['80']]])('refuses a pricing file alertThresholds of %j', (value) => {
    const refused = refusal({ PRICING_FILE: pricingFile({ alertThresholds: value }) });
    expect(refused).toMatch(/^PRICING_FILE is invalid \(alertThresholds/);
    expect(refused).not.toContain('\n');
  });
});
