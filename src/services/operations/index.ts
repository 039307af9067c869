// Every Apiframe operation the gateway submits jobs to, each served as a route of its own.
import type { JobOperation } from '../job-operation.js';
import { removeImageBackground } from './images-background-remove.js';
import { editImage } from './images-edit.js';
import { generateImage } from './images-generate.js';
import { midjourneyAction } from './images-midjourney-action.js';
import { upscaleImage } from './images-upscale.js';
import { generateMusic } from './music-generate.js';
import { sunoAction } from './music-suno-action.js';
import { editVideo } from './videos-edit.js';
import { generateVideo } from './videos-generate.js';
import { upscaleVideo } from './videos-upscale.js';

export const JOB_OPERATIONS: readonly JobOperation[] = [
  generateImage,
  upscaleImage,
  editImage,
  removeImageBackground,
  midjourneyAction,
  generateVideo,
  upscaleVideo,
  editVideo,
  generateMusic,
  sunoAction,
];
