// The store: one object made of small per-feature contracts, each kept by two implementations
// side by side in its folder: Redis (Lua scripts, many gateway instances) and memory (one
// process, for trials). A caller may depend on just the feature it uses.
import type { AlertRecords } from './alerts/contract.js';
import type { Coordination } from './coordination/contract.js';
import type { Credits } from './credits/contract.js';
import type { DeliveryQueue } from './deliveries/contract.js';
import type { IdempotencyRecords } from './idempotency/contract.js';
import type { Jobs } from './jobs/contract.js';
import type { ChangeNotifications, KeyRecords } from './keys/contract.js';
import type { PriceCatalogueRecords } from './prices/contract.js';
import type { ObjectOwnership } from './objects/contract.js';
import type { RequestLimits } from './request-limits/contract.js';

export type Store = KeyRecords &
  ChangeNotifications &
  Credits &
  Jobs &
  IdempotencyRecords &
  DeliveryQueue &
  AlertRecords &
  PriceCatalogueRecords &
  ObjectOwnership &
  RequestLimits &
  Coordination;
