// The services of what teams create outside jobs: uploads, LoRAs and assets, each recorded as
// the creating team's and shown or touched for that team only.
import type { Clock } from '../clock.js';
import type { JobReservation } from '../job-reservation.js';
import type { JobSettlement } from '../job-settlement.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/store.js';
import type { UpstreamClient } from '../upstream.js';
import { createAssets } from './assets.js';
import { createLoraListing } from './lora-listing.js';
import { createLoraOutcomes } from './lora-outcomes.js';
import { createLoras } from './loras.js';
import { createUploads } from './uploads.js';

export interface ObjectServicesDeps {
  store: Store;
  /** Apiframe, behind its 429 pause. */
  upstream: UpstreamClient;
  clock: Clock;
  logger: Logger;
  metrics: Pick<Metrics, 'credits'>;
  reservation: Pick<JobReservation, 'reserve' | 'keepLeaseAlive'>;
  settlement: Pick<JobSettlement, 'releaseQuietly'>;
  /** How often pending LoRAs are checked for a failed training to refund. */
  intervalMs: number;
  /** The models and actions the gateway offers: LoRAs are trained only where flux-lora is. */
  enabledModels: ReadonlySet<string>;
}

export function createObjectServices(deps: ObjectServicesDeps) {
  const { store, upstream } = deps;
  const loraOutcomes = createLoraOutcomes(deps);
  return {
    uploads: createUploads(deps),
    loras: {
      ...createLoras({ ...deps, outcomes: loraOutcomes }),
      ...createLoraListing({ store, upstream, outcomes: loraOutcomes }),
    },
    loraOutcomes,
    assets: createAssets(deps),
  };
}

export type ObjectServices = ReturnType<typeof createObjectServices>;
