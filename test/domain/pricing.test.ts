// A price rule bounds a job by what its request asks for: whole credits, rounded up, never down;
// a rule that cannot bound a request names the setting it lacks.
import { describe, expect, it } from 'vitest';
import { catalogueRule, type PriceRule, ruleInForce, upperBound, wholeCredits } from '../../src/domain/pricing.js';

const catalogue = (mode: PriceRule['mode'], credits: number): PriceRule => ({ mode, credits, source: 'catalogue' });
const operator = (mode: PriceRule['mode'], credits: number, extra = {}): PriceRule => ({
  mode,
  credits,
  source: 'operator',
  ...extra,
});

describe('upperBound', () => {
  it('is the price of a flat job, rounded up to whole credits', () => {
    expect(upperBound(catalogue('flat', 3), {})).toEqual({ credits: 3 });
    expect(upperBound(catalogue('flat', 2.2), {})).toEqual({ credits: 3 });
  });

  it('multiplies a per-second price by the seconds asked for, then rounds up', () => {
    expect(upperBound(catalogue('per-second', 14), { seconds: 10 })).toEqual({ credits: 140 });
    expect(upperBound(catalogue('per-second', 0.7), { seconds: 10 })).toEqual({ credits: 7 });
    expect(upperBound(catalogue('per-second', 0.75), { seconds: 5 })).toEqual({ credits: 4 });
  });

  it('multiplies a per-output price by the outputs asked for', () => {
    expect(upperBound(catalogue('per-output', 5), { outputs: 4 })).toEqual({ credits: 20 });
  });

  it('falls back on the operator’s ceilings when the request cannot say, and names the one missing', () => {
    expect(upperBound(catalogue('per-second', 2), {})).toEqual({ missing: 'maxSeconds' });
    expect(upperBound({ ...catalogue('per-second', 2), maxSeconds: 60 }, {})).toEqual({ credits: 120 });
    expect(upperBound(catalogue('per-output', 2), {})).toEqual({ missing: 'maxOutputs' });
    expect(upperBound({ ...catalogue('per-output', 2), maxOutputs: 4 }, {})).toEqual({ credits: 8 });
  });

  it('prices a job by its input only with the operator’s price or ceiling', () => {
    const video = { pricedByInput: 'seconds' as const };
    expect(upperBound(catalogue('per-second', 4), video)).toEqual({ missing: 'maxSeconds' });
    expect(upperBound(catalogue('per-second', 4), { ...video, seconds: 8 })).toEqual({ credits: 32 });
    expect(upperBound(catalogue('flat', 4), video)).toEqual({ missing: 'operator price' });
    const image = { pricedByInput: 'megapixels' as const };
    expect(upperBound(catalogue('flat', 4), image)).toEqual({ missing: 'operator price' });
    expect(upperBound(operator('flat', 6), image)).toEqual({ credits: 6 });
    expect(upperBound(operator('per-megapixel', 0.5), image)).toEqual({ missing: 'maxMegapixels' });
    expect(upperBound(operator('per-megapixel', 0.5, { maxMegapixels: 25 }), image)).toEqual({ credits: 13 });
  });

  it('never rounds a real fraction of a credit down', () => {
    for (const [credits, units, expected] of [
      [0.1, 3, 1],
      [1.01, 7, 8],
      [2.5, 3, 8],
      [0.333, 3, 1],
      [0.6666667, 3, 3],
      [0.3333334, 3, 2],
      [33.3333334, 3, 101],
      [1.1, 3, 4],
      [0.0000001, 10, 1],
      [0.25, 7.5, 2],
    ] as const) {
      const { credits: bound } = upperBound(catalogue('per-second', credits), { seconds: units }) as {
        credits: number;
      };
      expect(bound).toBe(expected);
      expect(bound).toBeGreaterThanOrEqual(credits * units);
    }
    expect(wholeCredits(7.01)).toBe(8);
    expect(wholeCredits(2.0000001)).toBe(3);
    expect(wholeCredits(1e21, 2)).toBe(2e21);
  });

  it('does not count the binary noise of a product of decimal prices as a fraction of a credit', () => {
    expect(wholeCredits(0.7, 10)).toBe(7);
    expect(wholeCredits(0.1, 30)).toBe(3);
    expect(wholeCredits(1.15, 100)).toBe(115);
    expect(
      upperBound(operator('per-megapixel', 0.07, { maxMegapixels: 100 }), { pricedByInput: 'megapixels' }),
    ).toEqual({
      credits: 7,
    });
  });
});

describe('catalogueRule and ruleInForce', () => {
  it('reads a catalogue entry at its costMax, and none without a mode or a cost', () => {
    expect(catalogueRule({ id: 'kling-2.6', pricingMode: 'per-second', costMax: 7 })).toEqual(
      catalogue('per-second', 7),
    );
    expect(catalogueRule({ id: 'x', costMax: 7 })).toBeUndefined();
    expect(catalogueRule({ id: 'x', pricingMode: 'flat' })).toBeUndefined();
  });

  it('lets the operator’s rule win, and the operator’s ceilings fill what the rule leaves unset', () => {
    expect(ruleInForce(operator('flat', 9), catalogue('flat', 3))).toEqual(operator('flat', 9));
    expect(ruleInForce(undefined, catalogue('per-second', 3), { maxSeconds: 30 })).toEqual({
      ...catalogue('per-second', 3),
      maxSeconds: 30,
    });
    expect(ruleInForce(operator('per-second', 2, { maxSeconds: 10 }), undefined, { maxSeconds: 30 })).toMatchObject({
      maxSeconds: 10,
    });
    expect(ruleInForce(undefined, undefined)).toBeUndefined();
  });
});
