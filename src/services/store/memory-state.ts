// What the memory store's features share: teams, and each team's money and jobs, moved exactly
// as the Redis scripts move them. Each operation runs to completion without awaiting, so it is
// as atomic as a Lua script.
import { availableCredits, type BudgetCheck } from '../../domain/budgets.js';
import type { EphemeralCap } from '../../domain/ephemeral-keys.js';
import type { JobRecord } from '../../domain/jobs.js';
import type { TeamRecord } from '../../domain/keys.js';
import { emptyAggregateCell, type AggregateCell, type LedgerEntry, type LedgerKind } from '../../domain/ledger.js';
import type { Reservation } from '../../domain/reservations.js';
import type { Alert } from '../../domain/alerts.js';
import type { AlertListener } from './alerts/contract.js';
import { TeamAlerts, type MemoryQueue } from './alerts/team-alerts.js';
import type { Movement } from './credits/contract.js';
import type { Position } from './cursor.js';
import { RequestWindows } from './request-limits/memory.js';

export interface MemoryJob extends JobRecord {
  windows: string[];
  /** When the reconciler looks at it next. */
  checkAt: number;
  snapshot?: { body: string; at: number };
  lockedUntil?: number;
}

interface MoveDetails {
  kind: LedgerKind;
  keyId: string;
  model: string;
  windows: string[];
  credits: number;
  jobId?: string;
  reservationId?: string;
  note?: string;
  /** Credits the job finally cost (settlements only). */
  charged?: number;
  /** The ephemeral key moving credits for keyId, if any. */
  ephemeralId?: string | undefined;
}

/** One team's money and jobs. */
export class TeamLedger {
  readonly spend = new Map<string, number>();
  readonly reservations = new Map<string, Reservation>();
  readonly jobs = new Map<string, MemoryJob>();
  readonly entries: LedgerEntry[] = [];
  readonly aggregates = new Map<string, Map<string, AggregateCell>>();
  private sequence = 0;

  constructor(
    readonly team: string,
    private readonly retentionMs: number,
  ) {}

  counted(field: string): number {
    return this.spend.get(field) ?? 0;
  }

  /** Credits a key (and an ephemeral key spending for it) may still take, negative past a budget; null: unlimited. */
  room(r: {
    keyId: string;
    keyBudget: BudgetCheck | null;
    teamBudget: BudgetCheck | null;
    ephemeral?: EphemeralCap;
  }): number | null {
    const shared = availableCredits(
      r.keyBudget && { limit: r.keyBudget.limit, spent: this.counted(`key:${r.keyId}:${r.keyBudget.window}`) },
      r.teamBudget && { limit: r.teamBudget.limit, spent: this.counted(`team:${r.teamBudget.window}`) },
    );
    if (!r.ephemeral) return shared;
    const cap = r.ephemeral.credits - this.counted(`eph:${r.ephemeral.id}`);
    return shared === null ? cap : Math.min(shared, cap);
  }

  /** Moves the count of jobs an ephemeral key has reserved for. */
  countJobs(ephemeralId: string | undefined, delta: number): void {
    if (ephemeralId) this.spend.set(`eph:${ephemeralId}:jobs`, this.counted(`eph:${ephemeralId}:jobs`) + delta);
  }

  /** Moves credits and writes the ledger entry and aggregates that say so. */
  move(movement: Movement, details: MoveDetails): void {
    const { kind, keyId, model, windows, credits } = details;
    for (const w of windows) {
      for (const field of [`key:${keyId}:${w}`, `team:${w}`]) this.spend.set(field, this.counted(field) + credits);
    }
    const ephemeralField = `eph:${details.ephemeralId}`;
    if (details.ephemeralId) this.spend.set(ephemeralField, this.counted(ephemeralField) + credits);
    const day = windows[0]!;
    this.append(movement, day, details);
    const cells = this.aggregates.get(day) ?? new Map<string, AggregateCell>();
    this.aggregates.set(day, cells);
    const cell = cells.get(`${keyId}|${model}`) ?? emptyAggregateCell(day, this.team, keyId, model);
    cells.set(`${keyId}|${model}`, cell);
    cell.credits += credits;
    cell[kind] += 1;
    cell.charged += details.charged ?? 0;
    if (kind === 'overrun') cell.overrunCredits += credits;
  }

  /**
   * CHARGE: `credits` charged against `reserved`, one `details.kind` entry of the difference and
   * what the reservation did not cover as an `overrun` entry noted `overrunNote`. Returns the overrun.
   */
  charge(
    movement: Movement,
    details: Omit<MoveDetails, 'credits' | 'charged'>,
    credits: number,
    reserved: number,
    overrunNote: string,
  ): number {
    const overrun = Math.max(credits - reserved, 0);
    this.move(movement, { ...details, credits: credits - overrun - reserved, charged: credits });
    if (overrun > 0) this.move(movement, { ...details, kind: 'overrun', credits: overrun, note: overrunNote });
    return overrun;
  }

  /** Adds the ledger entry, dropping those past the retention (by the entry ids' clock, as Redis does). */
  private append(movement: Movement, day: string, details: MoveDetails): void {
    const now = Date.now();
    while (this.entries.length > 0 && Number(this.entries[0]!.id.split('-')[0]) < now - this.retentionMs)
      this.entries.shift();
    this.entries.push({
      id: `${now}-${++this.sequence}`,
      ts: movement.now,
      team: this.team,
      kind: details.kind,
      keyId: details.keyId,
      model: details.model,
      credits: details.credits,
      jobId: details.jobId ?? '',
      reservationId: details.reservationId ?? '',
      requestId: movement.requestId,
      day,
      note: details.note ?? '',
      ...(details.ephemeralId && { ephemeral: details.ephemeralId }),
    });
  }
}

export interface MemoryState {
  /** Teams by id: key records keep them, coordination lists them. */
  teams: Map<string, TeamRecord>;
  ledgers: Map<string, TeamLedger>;
  ledger(team: string): TeamLedger;
  /** Per-key request windows, counted by reservations, polls and on their own. */
  requests: RequestWindows;
  /** Webhook and alert deliveries waiting to be sent, by id. */
  queue: MemoryQueue;
  /** A team's alert targets, alert history and markers. */
  alerts(team: string): TeamAlerts;
  alertListeners: AlertListener[];
  /** Tells the alert listeners of the alerts a move raised, if any. */
  announceAlerts(alerts: Alert[], requestId: string): void;
}

export function createMemoryState(ledgerRetentionMs: number): MemoryState {
  const ledgers = new Map<string, TeamLedger>();
  const queue: MemoryQueue = new Map();
  const alerts = new Map<string, TeamAlerts>();
  const alertListeners: AlertListener[] = [];
  return {
    alertListeners,
    announceAlerts(raised, requestId) {
      if (raised.length > 0) for (const listener of alertListeners) listener(raised, requestId);
    },
    teams: new Map(),
    ledgers,
    requests: new RequestWindows(),
    queue,
    alerts(team) {
      const found = alerts.get(team) ?? new TeamAlerts(team, queue);
      alerts.set(team, found);
      return found;
    },
    ledger(team) {
      const found = ledgers.get(team) ?? new TeamLedger(team, ledgerRetentionMs);
      ledgers.set(team, found);
      return found;
    },
  };
}

/** A job as the store hands it out, without the memory store's bookkeeping. */
export function copyJob({ windows: _w, checkAt: _c, snapshot: _s, lockedUntil: _l, ...job }: MemoryJob): JobRecord {
  return { ...job };
}

/** Newest first by (createdAt desc, id desc), as the Redis indexes order them. */
export function newestFirst(a: Position, b: Position): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1);
}
