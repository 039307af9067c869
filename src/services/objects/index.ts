// The services of what teams create outside jobs: uploads, LoRAs and assets, each recorded as
// the creating team's and shown or touched for that team only.
import type { Store } from '../store/store.js';
import type { UpstreamClient } from '../upstream.js';
import { createUploads } from './uploads.js';

export interface ObjectServicesDeps {
  store: Store;
  /** Apiframe, behind its 429 pause. */
  upstream: UpstreamClient;
}

export function createObjectServices(deps: ObjectServicesDeps) {
  return { uploads: createUploads(deps) };
}

export type ObjectServices = ReturnType<typeof createObjectServices>;
