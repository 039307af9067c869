// POST /v2/images/midjourney/action: an upsample, variation, inpaint, outpaint or pan of an
// earlier Midjourney job of the caller's team, priced as `midjourney:<action>`.
import { apiframeOperation } from './apiframe-operation.js';

export const midjourneyAction = apiframeOperation({
  path: '/v2/images/midjourney/action',
  name: 'images-midjourney-action',
  tags: ['Images'],
  summary: 'Run a follow-up action on a completed Midjourney image',
  description:
    "The parent job must be one of the team's (otherwise 404, as an unknown one). Reserves the action's price " +
    "(`midjourney:<action>`) from the key's and team's budgets, then forwards to Apiframe.",
  example: { action: 'upsample', index: 2, parentJobId: '0b6f3c1e-5d2a-4f8e-9c47-2a1d3e4f5a6b' },
});
