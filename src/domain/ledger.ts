// The credit ledger: immutable movements of credits and the per-day totals reports read.

/** `overrun`: credits moved beyond what a budget check covered (a job cost more than its reservation). */
export const LEDGER_KINDS = ['reserve', 'release', 'settle', 'refund', 'overrun'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

/** One immutable movement of credits. */
export interface LedgerEntry {
  /** Position in the team's ledger (Redis stream id, by Redis time). */
  id: string;
  /** When the gateway moved the credits (ms). */
  ts: number;
  team: string;
  kind: LedgerKind;
  keyId: string;
  model: string;
  /** Signed: what this entry added to (or took from) the key's and team's spend. */
  credits: number;
  jobId: string;
  reservationId: string;
  requestId: string;
  /** Accounting day (UTC) the credits belong to: the day they were reserved. */
  day: string;
  /** Why a reservation was released, or the job status a settlement saw. */
  note: string;
  /** The ephemeral key that spent for `keyId` (its parent), when one did: the drill-down below the key. */
  ephemeral?: string;
}

/** Totals of one day × team × key × model. */
export interface AggregateCell {
  day: string;
  team: string;
  keyId: string;
  model: string;
  /** Net credits: the sum of the cell's ledger entries. */
  credits: number;
  /** Credits of the jobs settled (what Apiframe charged for them). */
  charged: number;
  reserve: number;
  release: number;
  settle: number;
  refund: number;
  overrun: number;
  /** Credits of the overrun entries. */
  overrunCredits: number;
}

/** A cell with nothing counted yet. */
export function emptyAggregateCell(day: string, team: string, keyId: string, model: string): AggregateCell {
  return {
    day,
    team,
    keyId,
    model,
    credits: 0,
    charged: 0,
    reserve: 0,
    release: 0,
    settle: 0,
    refund: 0,
    overrun: 0,
    overrunCredits: 0,
  };
}
