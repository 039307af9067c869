// POST /v2/images/generate: an image from a prompt, at the price of its model.
import { buildGenerateImageRequest, crossFieldErrors } from '../../schemas/generate.js';
import { defineJobOperation } from '../job-operation.js';

export const generateImage = defineJobOperation({
  path: '/v2/images/generate',
  name: 'generate',
  tags: ['Images'],
  summary: 'Submit an image generation job',
  description: "Reserves the model's price from the key's and team's budgets, then forwards to Apiframe.",
  body: buildGenerateImageRequest,
  crossFieldErrors,
  model: (body) => body.model,
  price: (body, pricing) => pricing[body.model]!,
  webhooks: true,
});
