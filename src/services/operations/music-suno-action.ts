// POST /v2/music/suno/action: an extend, cover, added vocals or stems of a track of an earlier
// Suno job of the caller's team, priced as `suno:<action>`.
import { apiframeOperation } from './apiframe-operation.js';

export const sunoAction = apiframeOperation({
  path: '/v2/music/suno/action',
  name: 'music-suno-action',
  tags: ['Music'],
  summary: 'Run a follow-up action on a completed Suno job',
  description:
    "The parent job must be one of the team's (otherwise 404, as an unknown one). Reserves the action's price " +
    "(`suno:<action>`) from the key's and team's budgets, then forwards to Apiframe.",
  example: { action: 'extend', index: 1, parentJobId: '0b6f3c1e-5d2a-4f8e-9c47-2a1d3e4f5a6b', continueAt: 30 },
});
