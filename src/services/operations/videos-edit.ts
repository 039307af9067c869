// POST /v2/videos/edit: a video changed by an instruction (Wan 2.7).
import { apiframeOperation } from './apiframe-operation.js';

export const editVideo = apiframeOperation({
  path: '/v2/videos/edit',
  name: 'videos-edit',
  tags: ['Videos'],
  summary: 'Submit an instruction-based video edit job',
  description: "Reserves the model's price from the key's and team's budgets, then forwards to Apiframe.",
  pricedByInput: 'seconds',
  example: {
    prompt: 'make it snow',
    model: 'wan-2.7-videoedit',
    wan27VideoeditParams: { video: 'https://example.com/street.mp4' },
  },
});
