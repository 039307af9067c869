// What changed, broadcast to every gateway instance so they drop cached copies.

export type ChangeEvent =
  | { kind: 'key'; id: string }
  | { kind: 'team'; id: string }
  /** Apiframe asked for a pause (429): no instance calls it before `until` (ms). */
  | { kind: 'upstream-backoff'; until: number };
