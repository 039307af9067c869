// POST /v2/images/generate: an image from a prompt, with any of Apiframe's image models.
// seedream-4 keeps the rules of its doc page, which say more than the spec's branch for it.
import { Seedream4Request, seedream4CrossFieldErrors } from '../../schemas/generate.js';
import { apiframeOperation } from './apiframe-operation.js';

export const generateImage = apiframeOperation({
  path: '/v2/images/generate',
  name: 'generate',
  tags: ['Images'],
  summary: 'Submit an image generation job',
  description: "Reserves the model's price from the key's and team's budgets, then forwards to Apiframe.",
  example: {
    prompt: 'a detailed architectural blueprint of a modern glass house',
    model: 'seedream-4',
    seedreamParams: { size: '4K', aspect_ratio: '16:9' },
  },
  handWritten: { 'seedream-4': Seedream4Request },
  crossFieldErrors: (body) =>
    body.model === 'seedream-4' ? seedream4CrossFieldErrors(body as unknown as Seedream4Request) : {},
});
