// POST /v2/images/background-remove: an image's subject on a transparent background.
import { apiframeOperation } from './apiframe-operation.js';

export const removeImageBackground = apiframeOperation({
  path: '/v2/images/background-remove',
  name: 'images-background-remove',
  tags: ['Images'],
  summary: 'Submit a background-removal job',
  description: "Reserves the model's price from the key's and team's budgets, then forwards to Apiframe.",
  example: { model: 'bria-bg-remove', briaBgRemoveParams: { image: 'https://example.com/portrait.jpg' } },
});
