// The embedded store: the same contract as the Redis store, kept in this process's memory.
// Each operation runs to completion without awaiting, so it is as atomic as a Lua script.
// For trials and single-instance setups only: everything is lost on restart.
import { isAfter, type Position } from './cursor.js';
import { availableCredits, type BudgetCheck } from '../../domain/budgets.js';
import type { ChangeEvent } from '../../domain/changes.js';
import type { WebhookDelivery } from '../../domain/deliveries.js';
import type { JobRecord } from '../../domain/jobs.js';
import type { StoredAuditEntry, TeamKeyRecord, TeamRecord } from '../../domain/keys.js';
import { emptyAggregateCell, type AggregateCell, type LedgerEntry, type LedgerKind } from '../../domain/ledger.js';
import type { ChangeListener, IdempotencyScope, Movement, AttachRequest, Store } from './types.js';

interface Reservation {
  keyId: string;
  model: string;
  credits: number;
  windows: string[];
  leaseUntil: number;
}

interface MemoryJob extends JobRecord {
  windows: string[];
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
}

/** One team's money, moved exactly as the Redis scripts move it. */
class TeamLedger {
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

  /** Credits a key may still take (negative past a budget); null when unlimited. RESERVE's `room`. */
  room(r: { keyId: string; keyBudget: BudgetCheck | null; teamBudget: BudgetCheck | null }): number | null {
    return availableCredits(
      r.keyBudget && { limit: r.keyBudget.limit, spent: this.counted(`key:${r.keyId}:${r.keyBudget.window}`) },
      r.teamBudget && { limit: r.teamBudget.limit, spent: this.counted(`team:${r.teamBudget.window}`) },
    );
  }

  /** Moves credits and writes the ledger entry and aggregates that say so. */
  move(movement: Movement, details: MoveDetails): void {
    const { kind, keyId, model, windows, credits } = details;
    for (const w of windows) {
      for (const field of [`key:${keyId}:${w}`, `team:${w}`]) this.spend.set(field, this.counted(field) + credits);
    }
    const day = windows[0]!;
    const now = Date.now();
    while (this.entries.length > 0 && Number(this.entries[0]!.id.split('-')[0]) < now - this.retentionMs) this.entries.shift();
    this.entries.push({
      id: `${now}-${++this.sequence}`,
      ts: movement.now,
      team: this.team,
      kind,
      keyId,
      model,
      credits,
      jobId: details.jobId ?? '',
      reservationId: details.reservationId ?? '',
      requestId: movement.requestId,
      day,
      note: details.note ?? '',
    });
    let cells = this.aggregates.get(day);
    if (!cells) this.aggregates.set(day, (cells = new Map()));
    let cell = cells.get(`${keyId}|${model}`);
    if (!cell) cells.set(`${keyId}|${model}`, (cell = emptyAggregateCell(day, this.team, keyId, model)));
    cell.credits += credits;
    cell[kind] += 1;
    cell.charged += details.charged ?? 0;
    if (kind === 'overrun') cell.overrunCredits += credits;
  }
}

/** ATTACH's answer to a lapsed reservation: the price counts again, beyond the budget's room as an overrun. */
function retakeLapsed(team: TeamLedger, r: AttachRequest): number {
  const available = team.room(r);
  const overrun = available !== null && available < r.credits ? r.credits - Math.max(available, 0) : 0;
  const moved = { keyId: r.keyId, model: r.model, windows: r.windows, jobId: r.jobId, reservationId: r.reservationId, note: 'reservation lapsed' };
  if (r.credits > overrun) team.move(r, { ...moved, kind: 'reserve', credits: r.credits - overrun });
  if (overrun > 0) team.move(r, { ...moved, kind: 'overrun', credits: overrun });
  return overrun;
}

/** Newest first by (createdAt desc, id desc), as the Redis indexes order them. */
function newestFirst(a: Position, b: Position): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1);
}

export interface MemoryStoreOptions {
  /** How long ledger entries are kept (aggregates are kept for ever). */
  ledgerRetentionMs: number;
}

export function createMemoryStore(options: MemoryStoreOptions): Store {
  const keys = new Map<string, TeamKeyRecord>();
  /** Key id by secret hash; a retired hash resolves until `until` (ms). */
  const idsByHash = new Map<string, { id: string; until: number }>();
  const teams = new Map<string, TeamRecord>();
  const origins = new Set<string>();
  const audit: StoredAuditEntry[] = [];
  const listeners: ChangeListener[] = [];
  const ledgers = new Map<string, TeamLedger>();
  const leases = new Map<string, { holder: string; until: number }>();
  const deliveries = new Map<string, { delivery: WebhookDelivery; dueAt: number }>();
  const idempotency = new Map<string, { fingerprint: string; done?: { status: number; body: string }; until: number }>();
  const idempotencyId = (scope: IdempotencyScope) => `${scope.team}|${scope.keyId}|${scope.key}`;
  let auditSequence = 0;

  /** Tells the listeners after the caller's step is done, as a Redis subscriber would hear it. */
  function announce(event: ChangeEvent): void {
    queueMicrotask(() => listeners.forEach((listener) => listener(event)));
  }

  function appendAudit(entry: StoredAuditEntry | Omit<StoredAuditEntry, 'id'>): void {
    audit.push({ ...structuredClone(entry), id: String(++auditSequence) });
  }

  function ledger(team: string): TeamLedger {
    let found = ledgers.get(team);
    if (!found) ledgers.set(team, (found = new TeamLedger(team, options.ledgerRetentionMs)));
    return found;
  }

  const copyJob = ({ windows: _windows, checkAt: _checkAt, snapshot: _snapshot, lockedUntil: _lockedUntil, ...job }: MemoryJob): JobRecord => ({ ...job });

  return {
    kind: 'memory',

    async saveKey(change) {
      const { record } = change;
      if ((keys.get(record.id)?.version ?? 0) !== change.expectedVersion) return false;
      keys.set(record.id, structuredClone(record));
      idsByHash.set(record.hash, { id: record.id, until: Infinity });
      if (change.retire) idsByHash.set(change.retire.hash, { id: record.id, until: change.retire.at });
      if (change.implicitTeam && !teams.has(record.team)) {
        teams.set(record.team, structuredClone(change.implicitTeam.record));
        appendAudit(change.implicitTeam.audit);
      }
      for (const origin of record.allowedOrigins) origins.add(origin);
      appendAudit(change.audit);
      announce({ kind: 'key', id: record.id });
      return true;
    },

    async findKeyByHash(hash) {
      const entry = idsByHash.get(hash);
      const record = entry && entry.until > Date.now() ? keys.get(entry.id) : undefined;
      return record ? structuredClone(record) : null;
    },

    async getKey(id) {
      const record = keys.get(id);
      return record ? structuredClone(record) : null;
    },

    async listKeys(r) {
      const matching = [...keys.values()]
        .map((record) => ({ record, createdAt: Date.parse(record.createdAt), id: record.id }))
        .filter((item) => (!r.team || item.record.team === r.team) && (!r.after || isAfter(item, r.after)))
        .sort(newestFirst);
      return { keys: matching.slice(0, r.limit).map((item) => structuredClone(item.record)), hasMore: matching.length > r.limit };
    },

    async saveTeam(change) {
      if ((teams.get(change.record.id)?.version ?? 0) !== change.expectedVersion) return false;
      teams.set(change.record.id, structuredClone(change.record));
      appendAudit(change.audit);
      announce({ kind: 'team', id: change.record.id });
      return true;
    },

    async getTeam(id) {
      const team = teams.get(id);
      return team ? structuredClone(team) : null;
    },

    async listTeams() {
      return [...teams.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((team) => structuredClone(team));
    },

    async allowedOrigins() {
      return [...origins];
    },

    async listAudit(r) {
      const older = audit.filter((entry) => !r.before || Number(entry.id) < Number(r.before)).reverse();
      return { entries: older.slice(0, r.limit).map((entry) => structuredClone(entry)), hasMore: older.length > r.limit };
    },

    async publishChange(event) {
      announce(event);
    },

    onChange(listener) {
      listeners.push(listener);
    },

    changesLive: () => true,

    async reserve(r) {
      const team = ledger(r.team);
      const available = team.room(r);
      if (available !== null && available < r.credits) return { ok: false, available: Math.max(available, 0) };
      team.move(r, { kind: 'reserve', keyId: r.keyId, model: r.model, windows: r.windows, credits: r.credits, reservationId: r.reservationId });
      team.reservations.set(r.reservationId, {
        keyId: r.keyId,
        model: r.model,
        credits: r.credits,
        windows: r.windows,
        leaseUntil: r.leaseUntil,
      });
      return { ok: true };
    },

    async release(r) {
      const team = ledger(r.team);
      const reservation = team.reservations.get(r.reservationId);
      if (!reservation) return 0;
      team.reservations.delete(r.reservationId);
      team.move(r, { ...reservation, kind: 'release', credits: -reservation.credits, reservationId: r.reservationId, note: r.why });
      return reservation.credits;
    },

    async attachJob(r) {
      const team = ledger(r.team);
      const reservation = team.reservations.get(r.reservationId);
      team.reservations.delete(r.reservationId);
      if (team.jobs.has(r.jobId)) {
        if (reservation) {
          team.move(r, { ...reservation, kind: 'release', credits: -reservation.credits, jobId: r.jobId, reservationId: r.reservationId, note: 'duplicate job' });
        }
        return { state: 'duplicate', overrun: 0, released: reservation?.credits ?? 0 };
      }
      const overrun = reservation ? 0 : retakeLapsed(team, r);
      const windows = reservation?.windows ?? r.windows;
      team.jobs.set(r.jobId, {
        jobId: r.jobId,
        team: r.team,
        keyId: r.keyId,
        model: r.model,
        reserved: reservation?.credits ?? r.credits,
        windows,
        day: windows[0]!,
        createdAt: r.now,
        checkAt: r.now,
        state: 'pending',
        charged: null,
        finalBody: null,
        webhook: r.webhook ?? null,
      });
      return { state: reservation ? 'attached' : 'retaken', overrun, released: 0 };
    },

    async settle(r) {
      const team = ledger(r.team);
      const job = team.jobs.get(r.jobId);
      if (job?.state === 'settled' && !job.finalBody) job.finalBody = r.finalBody || null;
      if (!job || job.state !== 'pending') return { settled: false, overrun: 0 };
      const overrun = Math.max(r.credits - job.reserved, 0);
      const moved = { keyId: job.keyId, model: job.model, windows: job.windows, jobId: r.jobId };
      team.move(r, { ...moved, kind: r.status === 'COMPLETED' ? 'settle' : 'refund', credits: r.credits - overrun - job.reserved, note: r.status, charged: r.credits });
      if (overrun > 0) team.move(r, { ...moved, kind: 'overrun', credits: overrun, note: `charged ${r.credits}, reserved ${job.reserved}` });
      Object.assign(job, { state: 'settled', charged: r.credits, finalBody: r.finalBody || null });
      return { settled: true, overrun };
    },

    async getJob(teamName, jobId) {
      const job = ledger(teamName).jobs.get(jobId);
      return job ? copyJob(job) : null;
    },

    async pollJob(teamName, jobId, now, snapshotMaxAgeMs, lockMs) {
      const job = ledger(teamName).jobs.get(jobId);
      if (!job) return null;
      const record = copyJob(job);
      if (job.state === 'settled' && job.finalBody) return { action: 'final', record, body: job.finalBody };
      if (job.snapshot && now - job.snapshot.at <= snapshotMaxAgeMs) return { action: 'snapshot', record, body: job.snapshot.body };
      if (lockMs === 0) return { action: 'due', record, stale: job.snapshot ? { ...job.snapshot } : null };
      if ((job.lockedUntil ?? 0) > Date.now()) return job.snapshot ? { action: 'snapshot', record, body: job.snapshot.body } : { action: 'wait', record };
      job.lockedUntil = Date.now() + lockMs;
      return { action: 'fetch', record, stale: job.snapshot ? { ...job.snapshot } : null };
    },

    async saveSnapshot(teamName, jobId, body, now) {
      const job = ledger(teamName).jobs.get(jobId);
      if (!job) return;
      job.snapshot = { body, at: now };
      job.lockedUntil = 0;
    },

    async enqueueDelivery(delivery, dueAt) {
      deliveries.set(delivery.id, { delivery: { ...delivery }, dueAt });
    },

    async claimDueDeliveries(teamName, now, leaseMs, limit) {
      const due = [...deliveries.values()].filter((entry) => entry.delivery.team === teamName && entry.dueAt <= now).slice(0, limit);
      for (const entry of due) entry.dueAt = now + leaseMs;
      return due.map((entry) => ({ ...entry.delivery }));
    },

    async recordDelivery(delivery, outcome) {
      if (outcome.state === 'retry') {
        deliveries.set(delivery.id, { delivery: { ...delivery }, dueAt: outcome.at });
      } else {
        deliveries.delete(delivery.id);
      }
    },

    async jobsCreatedBetween(teamName, fromMs, toMs) {
      return [...ledger(teamName).jobs.values()]
        .filter((job) => job.createdAt >= fromMs && job.createdAt < toMs)
        .sort((a, b) => a.createdAt - b.createdAt)
        .map(copyJob);
    },

    async listJobs(r) {
      const matching = [...ledger(r.team).jobs.values()]
        .map((job) => ({ job, createdAt: job.createdAt, id: job.jobId }))
        .filter((item) => (!r.keyId || item.job.keyId === r.keyId) && (!r.after || isAfter(item, r.after)))
        .sort(newestFirst);
      return { jobs: matching.slice(0, r.limit).map((item) => copyJob(item.job)), hasMore: matching.length > r.limit };
    },

    async spend(q) {
      const team = ledger(q.team);
      const spend = { key: {} as Record<string, number>, team: {} as Record<string, number> };
      for (const w of q.windows) {
        if (q.keyId) spend.key[w] = team.counted(`key:${q.keyId}:${w}`);
        spend.team[w] = team.counted(`team:${w}`);
      }
      return spend;
    },

    async claimIdempotency(scope, fingerprint, pendingTtlMs) {
      const id = idempotencyId(scope);
      const record = idempotency.get(id);
      if (!record || record.until <= Date.now()) {
        idempotency.set(id, { fingerprint, until: Date.now() + pendingTtlMs });
        return { state: 'claimed' };
      }
      if (record.fingerprint !== fingerprint) return { state: 'mismatch' };
      return record.done ? { state: 'done', ...record.done } : { state: 'pending' };
    },

    async completeIdempotency(scope, status, body, ttlMs) {
      const record = idempotency.get(idempotencyId(scope));
      if (record) Object.assign(record, { done: { status, body }, until: Date.now() + ttlMs });
    },

    async abandonIdempotency(scope) {
      idempotency.delete(idempotencyId(scope));
    },

    async teams() {
      return [...teams.keys()];
    },

    async pendingJobs(teamName, now, limit) {
      return [...ledger(teamName).jobs.values()]
        .filter((job) => job.state === 'pending' && job.checkAt <= now)
        .sort((a, b) => a.checkAt - b.checkAt)
        .slice(0, limit)
        .map(copyJob);
    },

    async deferJob(teamName, jobId, until) {
      const job = ledger(teamName).jobs.get(jobId);
      if (job?.state === 'pending') job.checkAt = until;
    },

    async expiredReservations(teamName, now, limit) {
      return [...ledger(teamName).reservations.entries()]
        .filter(([, reservation]) => reservation.leaseUntil <= now)
        .slice(0, limit)
        .map(([reservationId, reservation]) => ({ reservationId, team: teamName, model: reservation.model, day: reservation.windows[0]! }));
    },

    async renewLease(teamName, reservationId, leaseUntil) {
      const reservation = ledger(teamName).reservations.get(reservationId);
      if (reservation) reservation.leaseUntil = leaseUntil;
    },

    async readLedger(teamName, after, limit) {
      const entries = ledger(teamName).entries;
      const start = after ? entries.findIndex((entry) => entry.id === after) + 1 : 0;
      return entries.slice(start, start + limit).map((entry) => ({ ...entry }));
    },

    async aggregates(teamName, days) {
      const cells = ledger(teamName).aggregates;
      return days.flatMap((day) => [...(cells.get(day)?.values() ?? [])].map((cell) => ({ ...cell })));
    },

    async acquireLease(name, holder, ttlMs) {
      const lease = leases.get(name);
      const now = Date.now();
      if (lease && lease.holder !== holder && lease.until > now) return false;
      leases.set(name, { holder, until: now + ttlMs });
      return true;
    },

    async pendingJobCount() {
      let count = 0;
      for (const team of ledgers.values()) for (const job of team.jobs.values()) if (job.state === 'pending') count++;
      return count;
    },

    async unavailability() {
      return null;
    },

    async close() {},
  };
}
