// POST /v2/images/{generate,upscale,edit,background-remove}: the catalogue's image models, each
// with what its schema in Apiframe's spec requires; a completed job's result is `{ images: [url…] }`.
import { cdnUrl, type ModelRules, modelOperation } from './model-operation.js';
import type { Operation } from './simulator-types.js';

/** URLs have no length limit in the spec. */
const URL = Number.MAX_SAFE_INTEGER;

/** A result of `count` images. */
export const images = (count: number) => (jobId: string) => ({
  images: Array.from({ length: count }, (_, index) => cdnUrl(jobId, index, 'png')),
});

const outputImages = (jobId: string, count: number) => images(count)(jobId);
const oneImage = (jobId: string) => images(1)(jobId);

const GENERATE: Record<string, ModelRules> = {
  'seedream-4': { strings: { prompt: 2000 }, result: oneImage },
  midjourney: { strings: { prompt: 2000 }, result: images(4) },
  'gpt-image-1.5': {
    strings: { prompt: 2000 },
    outputs: { field: 'gptImageParams.number_of_images', max: 10, absent: 1 },
    result: outputImages,
  },
  'flux-lora': {
    strings: { prompt: 2000, 'fluxLoraParams.loraId': 36 },
    outputs: { field: 'fluxLoraParams.num_outputs', max: 4, absent: 1 },
    result: outputImages,
  },
};

const UPSCALE: Record<string, ModelRules> = {
  'clarity-upscale': { strings: { 'clarityUpscaleParams.image': URL }, result: oneImage },
};

const EDIT: Record<string, ModelRules> = {
  'flux-fill-pro': {
    strings: { 'fluxFillParams.image': URL, 'fluxFillParams.prompt': 2000 },
    choices: { 'fluxFillParams.mode': ['inpaint', 'outpaint'] },
    result: oneImage,
  },
};

const BACKGROUND_REMOVE: Record<string, ModelRules> = {
  'bria-bg-remove': { strings: { 'briaBgRemoveParams.image': URL }, result: oneImage },
};

export const IMAGE_OPERATIONS: readonly Operation[] = [
  modelOperation('images/generate', GENERATE),
  modelOperation('images/upscale', UPSCALE),
  modelOperation('images/edit', EDIT),
  modelOperation('images/background-remove', BACKGROUND_REMOVE),
];
