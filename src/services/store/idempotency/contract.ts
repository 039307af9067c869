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
   * Claims an idempotency key for a request with this body fingerprint (for `pendingTtlMs`),
   * or says what became of the request that holds it.
   */
  claimIdempotency(scope: IdempotencyScope, fingerprint: string, pendingTtlMs: number): Promise<IdempotencyClaim>;
  /** Keeps the answer to replay it to retries for `ttlMs`. */
  completeIdempotency(scope: IdempotencyScope, status: number, body: string, ttlMs: number): Promise<void>;
  /** Lets a retry run the request again (it failed without creating anything). */
  abandonIdempotency(scope: IdempotencyScope): Promise<void>;
}
