// The descriptors of the spec reserve the upper bound their rule sets on each body: per second
// by the duration asked for (the longest allowed when none is), per output by the count, and
// refuse what no rule or setting can bound, naming what is missing.
import { describe, expect, it } from 'vitest';
import type { PriceRule } from '../../src/domain/pricing.js';
import { errors } from '../../src/errors.js';
import { generateImage } from '../../src/services/operations/images-generate.js';
import { upscaleImage } from '../../src/services/operations/images-upscale.js';
import { generateMusic } from '../../src/services/operations/music-generate.js';
import { upscaleVideo } from '../../src/services/operations/videos-upscale.js';
import { generateVideo } from '../../src/services/operations/videos-generate.js';
import { pricesOf } from '../../src/services/prices.js';

const rule = (mode: PriceRule['mode'], credits: number): PriceRule => ({ mode, credits, source: 'catalogue' });
const catalogue = new Map<string, PriceRule>([
  ['kling-2.1', rule('per-second', 14)],
  ['gpt-image-1.5', rule('per-output', 5)],
  ['mureka', rule('per-output', 3)],
  ['topaz-video-upscale', rule('per-second', 4)],
  ['clarity-upscale', rule('flat', 4)],
  ['midjourney-video', rule('per-second', 3)],
]);
const prices = pricesOf({ rules: {}, ceilings: {} }, catalogue);

describe('the price a spec operation reserves', () => {
  it('is a per-second price times the duration asked for, or the longest allowed', () => {
    const body = { prompt: 'a boat', model: 'kling-2.1', klingParams: { duration: 10, mode: 'pro' } };
    expect(generateVideo.price(body, prices)).toBe(140);
    expect(generateVideo.price({ ...body, klingParams: { duration: 5 } }, prices)).toBe(70);
    expect(generateVideo.price({ prompt: 'a boat', model: 'kling-2.1' }, prices)).toBe(140);
  });

  it('is a per-output price times the count asked for, or the count Apiframe makes by default', () => {
    const body = { prompt: 'a fox', model: 'gpt-image-1.5', gptImageParams: { number_of_images: 4 } };
    expect(generateImage.price(body, prices)).toBe(20);
    expect(generateImage.price({ prompt: 'a fox', model: 'gpt-image-1.5' }, prices)).toBe(5);
    expect(generateMusic.price({ prompt: 'a song', model: 'mureka' }, prices)).toBe(6);
  });

  it('refuses a job priced by its input without the operator’s ceiling, naming it', () => {
    const body = { model: 'topaz-video-upscale', topazVideoParams: { video: 'https://x.example/a.mp4' } };
    expect(() => upscaleVideo.price(body, prices)).toThrow(errors.PriceMissing);
    try {
      upscaleVideo.price(body, prices);
    } catch (error) {
      expect((error as { details: Record<string, string[]> }).details.$![0]).toContain('must set maxSeconds');
    }
    const ceiling = pricesOf({ rules: {}, ceilings: { 'topaz-video-upscale': { maxSeconds: 60 } } }, catalogue);
    expect(upscaleVideo.price(body, ceiling)).toBe(240);
    const image = { model: 'clarity-upscale', clarityUpscaleParams: { image: 'https://x.example/a.png' } };
    expect(() => upscaleImage.price(image, prices)).toThrow(/Validation failed/);
    const flat = pricesOf(
      { rules: { 'clarity-upscale': { ...rule('flat', 9), source: 'operator' } }, ceilings: {} },
      catalogue,
    );
    expect(upscaleImage.price(image, flat)).toBe(9);
  });

  it('refuses a video model whose length Apiframe fixes until the operator sets maxSeconds', () => {
    const body = { prompt: 'a boat', model: 'midjourney-video' };
    expect(() => generateVideo.price(body, prices)).toThrow(errors.PriceMissing);
  });

  it('is 503 pricing unavailable, never a guess, while the catalogue is in use but unknown', () => {
    const unknown = pricesOf({ rules: {}, ceilings: {} }, null);
    expect(() => generateVideo.price({ prompt: 'a boat', model: 'kling-2.1' }, unknown)).toThrow(
      errors.PricingUnavailable,
    );
  });
});
