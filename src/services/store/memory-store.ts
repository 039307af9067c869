// The embedded store: the same contract as the Redis store, kept in this process's memory.
// Each operation runs to completion without awaiting, so it is as atomic as a Lua script.
// For trials and single-instance setups only: everything is lost on restart.
import { isAfter } from './job-cursor.js';
import type { JobRecord, Store, TeamKeyRecord } from './types.js';

interface Reservation {
  keyId: string;
  credits: number;
  windows: string[];
  leaseUntil: number;
}

interface MemoryJob extends JobRecord {
  windows: string[];
  checkAt: number;
}

class TeamLedger {
  readonly spend = new Map<string, number>();
  readonly reservations = new Map<string, Reservation>();
  readonly jobs = new Map<string, MemoryJob>();

  counted(field: string): number {
    return this.spend.get(field) ?? 0;
  }

  adjust(keyId: string, windows: string[], delta: number): void {
    for (const w of windows) {
      for (const field of [`key:${keyId}:${w}`, `team:${w}`]) this.spend.set(field, this.counted(field) + delta);
    }
  }
}

export function createMemoryStore(): Store {
  const keys = new Map<string, TeamKeyRecord>();
  const idsByHash = new Map<string, string>();
  const ledgers = new Map<string, TeamLedger>();
  const leases = new Map<string, { holder: string; until: number }>();

  function ledger(team: string): TeamLedger {
    let found = ledgers.get(team);
    if (!found) ledgers.set(team, (found = new TeamLedger()));
    return found;
  }

  const copyJob = ({ windows: _windows, checkAt: _checkAt, ...job }: MemoryJob): JobRecord => ({ ...job });

  return {
    kind: 'memory',

    async createKey(record) {
      keys.set(record.id, structuredClone(record));
      idsByHash.set(record.hash, record.id);
      ledger(record.team);
    },

    async findKeyByHash(hash) {
      const id = idsByHash.get(hash);
      const record = id ? keys.get(id) : undefined;
      return record ? structuredClone(record) : null;
    },

    async getKey(id) {
      const record = keys.get(id);
      return record ? structuredClone(record) : null;
    },

    async listKeys() {
      return [...keys.values()].map((record) => structuredClone(record));
    },

    async saveKey(record) {
      keys.set(record.id, structuredClone(record));
    },

    async reserve(r) {
      const team = ledger(r.team);
      let available: number | null = null;
      if (r.keyBudget) available = r.keyBudget.limit - team.counted(`key:${r.keyId}:${r.keyBudget.window}`);
      if (r.teamBudget) {
        const teamAvailable = r.teamBudget.limit - team.counted(`team:${r.teamBudget.window}`);
        if (available === null || teamAvailable < available) available = teamAvailable;
      }
      if (available !== null && available < r.credits) return { ok: false, available: Math.max(available, 0) };
      team.adjust(r.keyId, r.windows, r.credits);
      team.reservations.set(r.reservationId, {
        keyId: r.keyId,
        credits: r.credits,
        windows: r.windows,
        leaseUntil: r.leaseUntil,
      });
      return { ok: true };
    },

    async release(teamName, reservationId) {
      const team = ledger(teamName);
      const reservation = team.reservations.get(reservationId);
      if (!reservation) return 0;
      team.reservations.delete(reservationId);
      team.adjust(reservation.keyId, reservation.windows, -reservation.credits);
      return reservation.credits;
    },

    async attachJob(r) {
      const team = ledger(r.team);
      const reservation = team.reservations.get(r.reservationId);
      team.reservations.delete(r.reservationId);
      if (team.jobs.has(r.jobId)) {
        if (reservation) team.adjust(reservation.keyId, reservation.windows, -reservation.credits);
        return 'duplicate';
      }
      team.jobs.set(r.jobId, {
        jobId: r.jobId,
        team: r.team,
        keyId: r.keyId,
        model: r.model,
        reserved: reservation?.credits ?? 0,
        windows: reservation?.windows ?? r.windows,
        createdAt: r.now,
        checkAt: r.now,
        state: 'pending',
        charged: null,
        finalBody: null,
      });
      return 'attached';
    },

    async settle(r) {
      const team = ledger(r.team);
      const job = team.jobs.get(r.jobId);
      if (!job || job.state !== 'pending') return false;
      team.adjust(job.keyId, job.windows, r.credits - job.reserved);
      Object.assign(job, { state: 'settled', charged: r.credits, finalBody: r.finalBody });
      return true;
    },

    async getJob(teamName, jobId) {
      const job = ledger(teamName).jobs.get(jobId);
      return job ? copyJob(job) : null;
    },

    async listJobs(r) {
      const matching = [...ledger(r.team).jobs.values()]
        .filter((job) => (!r.keyId || job.keyId === r.keyId) && (!r.after || isAfter(job, r.after)))
        .sort((a, b) => b.createdAt - a.createdAt || (a.jobId < b.jobId ? 1 : -1));
      return { jobs: matching.slice(0, r.limit).map(copyJob), hasMore: matching.length > r.limit };
    },

    async spend(q) {
      const team = ledger(q.team);
      const spend = { key: {} as Record<string, number>, team: {} as Record<string, number> };
      for (const w of q.windows) {
        spend.key[w] = team.counted(`key:${q.keyId}:${w}`);
        spend.team[w] = team.counted(`team:${w}`);
      }
      return spend;
    },

    async teams() {
      return [...ledgers.keys()];
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
        .map(([reservationId]) => ({ reservationId, team: teamName }));
    },

    async acquireLease(name, holder, ttlMs) {
      const lease = leases.get(name);
      const now = Date.now();
      if (lease && lease.holder !== holder && lease.until > now) return false;
      leases.set(name, { holder, until: now + ttlMs });
      return true;
    },

    async ping() {},

    async close() {},
  };
}
