// Ownership of what teams create upstream outside jobs: uploads (by URL, which is how requests name
// them), assets and LoRAs, recorded by the team that created them, so that only that team can
// read, list, delete or name them in a request. A LoRA's record also holds its training charge, refunded exactly once if
// the training fails.
import type { Movement } from '../credits/contract.js';

export type ObjectKind = 'asset' | 'lora';

export interface ObjectRecord {
  team: string;
  kind: 'asset';
  id: string;
}

export interface UploadRecord {
  team: string;
  /** The upload's CDN URL, canonical (domain/upload-urls.ts): requests name an upload by its URL, never its id. */
  url: string;
  /** How long the record is kept (uploads live upstream for an hour or two). */
  ttlMs: number;
}

export interface LoraChargeRequest extends Movement {
  team: string;
  keyId: string;
  model: string;
  reservationId: string;
  loraId: string;
  /** The reservation's windows, used when it lapsed. */
  windows: string[];
  credits: number;
  /**
   * Why Apiframe may have charged a LoRA the gateway cannot name (an answer without its id, or
   * none in time): charged all the same, under the gateway's own `loraId`, never pending nor refunded.
   */
  unclear?: string;
}

/** What charging a LoRA moved: its charge (`overrun` of it beyond a lapsed reservation), or a duplicate's release. */
export interface LoraChargeResult {
  /** False when the LoRA was charged already (its new reservation, `released`, returned). */
  charged: boolean;
  overrun: number;
  released: number;
}

export interface LoraRefundRequest extends Movement {
  team: string;
  loraId: string;
  why: string;
}

export interface ObjectOwnership {
  recordObject(record: ObjectRecord): Promise<void>;
  /** Records an upload's owner by its URL, in one write (no moment when the URL is unowned). */
  recordUpload(record: UploadRecord): Promise<void>;
  /** For each of `ids`, whether `team` created the object of that kind. */
  ownedObjects(team: string, kind: ObjectKind, ids: string[]): Promise<boolean[]>;
  /** The team that uploaded the file at `url`, or null when no team did (or its record expired). */
  uploadUrlOwner(url: string): Promise<string | null>;
  /**
   * Apiframe accepted a LoRA's training: its reservation becomes a charge of `credits` (beyond
   * a lapsed reservation, an overrun), the LoRA is the team's, and pending until its outcome
   * (unless `unclear`: then charged and noted so in the ledger, for the operator to look into).
   */
  chargeLora(request: LoraChargeRequest): Promise<LoraChargeResult>;
  /** Refunds a LoRA's charge exactly once; the credits refunded, 0 when already refunded or unknown. */
  refundLora(request: LoraRefundRequest): Promise<number>;
  /** The LoRA's training succeeded (or it is gone): no longer pending. */
  closeLora(team: string, loraId: string): Promise<void>;
  /** A team's pending LoRAs, oldest first. */
  pendingLoras(team: string, limit: number): Promise<string[]>;
}
