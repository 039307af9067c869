// POST /v2/videos/generate: a video from a prompt (and images), with any of Apiframe's video models.
import { apiframeOperation } from './apiframe-operation.js';

export const generateVideo = apiframeOperation({
  path: '/v2/videos/generate',
  name: 'videos-generate',
  tags: ['Videos'],
  summary: 'Submit a video generation job',
  description: "Reserves the model's price from the key's and team's budgets, then forwards to Apiframe.",
  example: {
    prompt: 'a paper boat drifting down a rainy street, cinematic',
    model: 'kling-2.1',
    klingParams: { duration: 10, mode: 'pro' },
  },
});
