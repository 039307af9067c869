// Apiframe's 429 pause for the calls made outside the job pipeline (the company account's credits,
// reconciliation, the model catalogue): while a pause lasts they are refused with the caller's 429 before anything is
// sent, and a 429 they hear starts one for every instance, as the pipeline's own calls do.
import type { UpstreamPause } from './upstream-pause.js';
import type { UpstreamClient, UpstreamResponse } from './upstream.js';

export function respectingPause(upstream: UpstreamClient, pause: UpstreamPause): UpstreamClient {
  const held =
    <A extends unknown[]>(call: (...args: A) => Promise<UpstreamResponse>) =>
    async (...args: A): Promise<UpstreamResponse> => {
      pause.refuseWhilePaused();
      const response = await call(...args);
      pause.heard(response);
      return response;
    };
  return {
    ...upstream,
    getJob: held(upstream.getJob),
    listJobs: held(upstream.listJobs),
    getAccount: held(upstream.getAccount),
    listModels: held(upstream.listModels),
    forward: held(upstream.forward),
  };
}
