// POST /v2/music/generate: a song or a track from a prompt, with any of Apiframe's music models.
import { apiframeOperation } from './apiframe-operation.js';

export const generateMusic = apiframeOperation({
  path: '/v2/music/generate',
  name: 'music-generate',
  tags: ['Music'],
  summary: 'Submit a music generation job',
  description: "Reserves the model's price from the key's and team's budgets, then forwards to Apiframe.",
  example: { prompt: 'an upbeat synth-pop song about a night drive', model: 'suno' },
});
