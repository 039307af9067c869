// Idempotency records: the first request with a client's Idempotency-Key runs, retries get
// its answer replayed.

/** Where idempotency records live: one team key's own namespace. */
export interface IdempotencyScope {
  team: string;
  keyId: string;
  /** SHA-256 of the client's Idempotency-Key. */
  key: string;
}

export type IdempotencyClaim =
  | { state: 'claimed' }
  | { state: 'pending' }
  | { state: 'mismatch' }
  | { state: 'done'; status: number; body: string };

export interface IdempotencyRecords {
  /**
   * Claims an idempotency key for a request with this body fingerprint (for `pendingTtlMs`) on
   * behalf of `holder` (the request's own id), or says what became of the request that holds it.
   */
  claimIdempotency(
    scope: IdempotencyScope,
    fingerprint: string,
    pendingTtlMs: number,
    holder: string,
  ): Promise<IdempotencyClaim>;
  /**
   * Keeps the answer to replay it to retries for `ttlMs`, when `holder` still holds the key (its
   * claim may have lapsed and another request taken the key over: that one's answer stands).
   */
  completeIdempotency(
    scope: IdempotencyScope,
    holder: string,
    status: number,
    body: string,
    ttlMs: number,
  ): Promise<void>;
  /** Lets a retry run the request again (it failed without creating anything), when `holder` still holds the key. */
  abandonIdempotency(scope: IdempotencyScope, holder: string): Promise<void>;
}
