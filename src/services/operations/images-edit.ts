// POST /v2/images/edit: an image inpainted or outpainted (FLUX Fill).
import { apiframeOperation } from './apiframe-operation.js';

export const editImage = apiframeOperation({
  path: '/v2/images/edit',
  name: 'images-edit',
  tags: ['Images'],
  summary: 'Submit an inpaint or outpaint job',
  description: "Reserves the model's price from the key's and team's budgets, then forwards to Apiframe.",
  example: {
    model: 'flux-fill-pro',
    fluxFillParams: {
      image: 'https://example.com/room.png',
      mask: 'https://example.com/room-mask.png',
      prompt: 'a green velvet sofa',
      mode: 'inpaint',
    },
  },
});
