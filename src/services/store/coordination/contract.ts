// What instances coordinate on, and the store's own health: named leases, the teams to walk,
// whether the store can serve, and closing it.

export interface Coordination {
  readonly kind: 'redis' | 'memory';
  /** Takes or renews a named lease for `holder`; true while `holder` has it. */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Teams known to the gateway: the reconciler walks them. */
  teams(): Promise<string[]>;
  /** Why the store cannot serve right now, or null when it can (Redis connected, scripts loaded). */
  unavailability(): Promise<string | null>;
  close(): Promise<void>;
}
