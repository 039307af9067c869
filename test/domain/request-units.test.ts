// Every branch of every job-submitting operation of Apiframe's spec has a known way to be bounded:
// its length and count fields are found by name, every other numeric field is listed as not
// changing a job's size (a spec with a field of a new name fails here until it is placed), and the
// branches that say neither are listed, with the operations priced by their input.
import { describe, expect, it } from 'vitest';
import { branchUnits, requestUnits, unplacedFields } from '../../src/domain/request-units.js';
import { APIFRAME_JOB_OPERATIONS } from '../../src/schemas/apiframe-spec.js';

const BRANCHES = APIFRAME_JOB_OPERATIONS.flatMap((operation) =>
  [...operation.branches].map(([value, branch]) => ({ path: operation.path, value, branch })),
);

/** Video models whose length Apiframe fixes (no duration field): per-second rules need maxSeconds. */
const VIDEO_MODELS_WITHOUT_LENGTH = ['kling-3.0-motion-control', 'midjourney-video'];
/** The models whose bodies say how many outputs they make, and how many when they do not. */
const COUNTED = {
  'gpt-image-1.5': 1,
  'gpt-image-2': 1,
  'kling-image': 1,
  'qwen-image': 1,
  'flux-lora': 1,
  mureka: 2,
};

describe("Apiframe's spec, as the pricing engine reads it", () => {
  it.each(BRANCHES.map((branch) => [`${branch.path} ${branch.value}`, branch]))(
    '%s: every numeric field is a length, a count or listed as not changing the price',
    (_name, { branch }) => {
      expect(unplacedFields(branch)).toEqual([]);
    },
  );

  it('finds a length on every video generation model but those whose length Apiframe fixes', () => {
    const generate = BRANCHES.filter((branch) => branch.path === '/v2/videos/generate');
    const without = generate.filter(({ branch }) => branchUnits(branch).length === undefined).map((b) => b.value);
    expect(without).toEqual(VIDEO_MODELS_WITHOUT_LENGTH);
  });

  it('finds the count, and the count when absent, of exactly the models that take one', () => {
    const counted = BRANCHES.flatMap(({ value, branch }) => {
      const { count } = branchUnits(branch);
      return count ? [[value, count.absent]] : [];
    });
    expect(Object.fromEntries(counted)).toEqual(COUNTED);
  });

  it('bounds an absent length by the longest the model allows, from an enum or a maximum', () => {
    const units = (path: string, model: string) =>
      branchUnits(APIFRAME_JOB_OPERATIONS.find((operation) => operation.path === path)!.branches.get(model)!);
    expect(requestUnits(units('/v2/videos/generate', 'kling-2.1'), { model: 'kling-2.1' })).toEqual({ seconds: 10 });
    expect(requestUnits(units('/v2/videos/generate', 'seedance-1.5-pro'), {})).toEqual({ seconds: 12 });
    expect(requestUnits(units('/v2/videos/generate', 'seedance-2'), {})).toEqual({ seconds: 15 });
    expect(requestUnits(units('/v2/videos/generate', 'kling-2.1'), { klingParams: { duration: 5 } })).toEqual({
      seconds: 5,
    });
    expect(requestUnits(units('/v2/music/generate', 'elevenlabs-music'), {})).toEqual({ seconds: 300 });
    expect(
      requestUnits(units('/v2/music/generate', 'elevenlabs-music'), { elevenlabsParams: { music_length_ms: 30_500 } }),
    ).toEqual({ seconds: 30.5 });
    expect(requestUnits(units('/v2/music/generate', 'mureka'), {})).toEqual({ outputs: 2 });
    expect(requestUnits(units('/v2/images/generate', 'kling-image'), { klingImageParams: { n: 4 } })).toEqual({
      outputs: 4,
    });
  });

  it('leaves an absent length unknown on an operation priced by its input', () => {
    const edit = APIFRAME_JOB_OPERATIONS.find((operation) => operation.path === '/v2/videos/edit')!;
    const units = branchUnits(edit.branches.get('wan-2.7-videoedit')!, 'seconds');
    expect(requestUnits(units, {})).toEqual({ pricedByInput: 'seconds' });
    expect(requestUnits(units, { wan27VideoeditParams: { duration: 6 } })).toEqual({
      pricedByInput: 'seconds',
      seconds: 6,
    });
  });
});
