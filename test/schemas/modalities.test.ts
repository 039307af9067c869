// Every model and action of Apiframe's spec has a modality, read from its operation's path.
import { describe, expect, it } from 'vitest';
import { APIFRAME_JOB_OPERATIONS, APIFRAME_PRICE_NAMES, priceName } from '../../src/schemas/apiframe-spec.js';
import { modalityOf } from '../../src/schemas/modalities.js';

describe('modalityOf', () => {
  it('maps every model and action name of the spec to image, video or music', () => {
    expect(APIFRAME_PRICE_NAMES.length).toBeGreaterThan(90);
    expect(APIFRAME_PRICE_NAMES.filter((name) => !['image', 'video', 'music'].includes(modalityOf(name)))).toEqual([]);
  });

  it('follows the operation’s path: images, videos and music', () => {
    const expected = { images: 'image', videos: 'video', music: 'music' } as Record<string, string>;
    for (const operation of APIFRAME_JOB_OPERATIONS) {
      for (const value of operation.branches.keys()) {
        expect(modalityOf(priceName(operation, value))).toBe(expected[operation.path.split('/')[2]!]);
      }
    }
  });

  it('names actions by their priced names, and anything the spec does not list as other', () => {
    expect(modalityOf('seedream-4')).toBe('image');
    expect(modalityOf('kling-2.1')).toBe('video');
    expect(modalityOf('topaz-video-upscale')).toBe('video');
    expect(modalityOf('midjourney:upsample')).toBe('image');
    expect(modalityOf('suno:extend')).toBe('music');
    expect(modalityOf('suno')).toBe('music');
    expect(modalityOf('a-model-since-dropped')).toBe('other');
  });

  it('counts LoRA training, which trains an image model, as image', () => {
    expect(modalityOf('flux-lora:training')).toBe('image');
  });
});
