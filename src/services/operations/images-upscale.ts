// POST /v2/images/upscale: a larger copy of an image (Topaz or Clarity).
import { apiframeOperation } from './apiframe-operation.js';

export const upscaleImage = apiframeOperation({
  path: '/v2/images/upscale',
  name: 'images-upscale',
  tags: ['Images'],
  summary: 'Submit an image upscale job',
  description: "Reserves the model's price from the key's and team's budgets, then forwards to Apiframe.",
  pricedByInput: 'megapixels',
  example: {
    model: 'clarity-upscale',
    clarityUpscaleParams: { image: 'https://example.com/photo.png', scale_factor: 2 },
  },
});
