// POST /v2/videos/upscale: a video at a higher resolution and frame rate (Topaz).
import { apiframeOperation } from './apiframe-operation.js';

export const upscaleVideo = apiframeOperation({
  path: '/v2/videos/upscale',
  name: 'videos-upscale',
  tags: ['Videos'],
  summary: 'Submit a video upscale job',
  description: "Reserves the model's price from the key's and team's budgets, then forwards to Apiframe.",
  pricedByInput: 'seconds',
  example: {
    model: 'topaz-video-upscale',
    topazVideoParams: { video: 'https://example.com/clip.mp4', target_resolution: '1080p', target_fps: 30 },
  },
});
