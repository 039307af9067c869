// POST /v2/videos/{generate,upscale,edit}: the catalogue's video models, all priced per second.
// A duration left out is billed as Apiframe does: Kling's default of 5 s; for an upscale (which
// has no duration field, upstream probes the input) and an edit without one, the simulator
// takes every input video to be 10 s long. A completed job's result is `{ videos: [url], duration }`.
import { cdnUrl, type ModelRules, modelOperation } from './model-operation.js';
import type { Operation } from './simulator-types.js';

/** URLs have no length limit in the spec. */
const URL = Number.MAX_SAFE_INTEGER;
/** How long the simulator takes every input video to be. */
export const INPUT_VIDEO_SECONDS = 10;

const video = (jobId: string, seconds: number) => ({ videos: [cdnUrl(jobId, 0, 'mp4')], duration: seconds });

const GENERATE: Record<string, ModelRules> = {
  'kling-2.6': {
    strings: { prompt: 4000 },
    seconds: { field: 'klingParams.duration', allowed: [5, 10], absent: 5 },
    result: video,
  },
};

const UPSCALE: Record<string, ModelRules> = {
  'topaz-video-upscale': {
    strings: { 'topazVideoParams.video': URL },
    choices: {
      'topazVideoParams.target_resolution': ['720p', '1080p', '4k'],
      'topazVideoParams.target_fps': [24, 30, 60],
    },
    seconds: { allowed: [], absent: INPUT_VIDEO_SECONDS },
    result: video,
  },
};

const EDIT: Record<string, ModelRules> = {
  'wan-2.7-videoedit': {
    strings: { prompt: 5000, 'wan27VideoeditParams.video': URL },
    seconds: {
      field: 'wan27VideoeditParams.duration',
      allowed: [2, 3, 4, 5, 6, 7, 8, 9, 10],
      absent: INPUT_VIDEO_SECONDS,
    },
    result: video,
  },
};

export const VIDEO_OPERATIONS: readonly Operation[] = [
  modelOperation('videos/generate', GENERATE),
  modelOperation('videos/upscale', UPSCALE),
  modelOperation('videos/edit', EDIT),
];
