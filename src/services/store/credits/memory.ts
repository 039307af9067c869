// Credits in memory: the same moves as the Redis scripts, on the team's ledger, raising the
// same alerts.
import type { Alert } from '../../../domain/alerts.js';
import { isOverQuota } from '../../../domain/request-limits.js';
import { checkThresholds, overrunAlert } from '../alerts/memory.js';
import type { TeamAlerts } from '../alerts/team-alerts.js';
import type { MemoryState, TeamLedger } from '../memory-state.js';
import type { AttachRequest, Credits, ReserveRequest, Spend } from './contract.js';

/** The key's and the team's spend in their budget windows, before a move (null: no budget). */
function spendSeen(team: TeamLedger, r: Pick<ReserveRequest, 'keyId' | 'keyBudget' | 'teamBudget'>) {
  return {
    key: r.keyBudget ? team.counted(`key:${r.keyId}:${r.keyBudget.window}`) : null,
    team: r.teamBudget ? team.counted(`team:${r.teamBudget.window}`) : null,
  };
}

const teamSpent = (team: TeamLedger) => (window: string) => team.counted(`team:${window}`);

/** ATTACH's answer to a lapsed reservation: the price counts again, beyond the budget's room as an overrun. */
function retakeLapsed(team: TeamLedger, alerts: TeamAlerts, r: AttachRequest): { overrun: number; raised: Alert[] } {
  const seen = spendSeen(team, r);
  const available = team.room(r);
  const overrun = available !== null && available < r.credits ? r.credits - Math.max(available, 0) : 0;
  const moved = {
    keyId: r.keyId,
    model: r.model,
    windows: r.windows,
    jobId: r.jobId,
    reservationId: r.reservationId,
    note: 'reservation lapsed',
    ephemeralId: r.ephemeralId,
  };
  if (r.credits > overrun) team.move(r, { ...moved, kind: 'reserve', credits: r.credits - overrun });
  if (overrun > 0) team.move(r, { ...moved, kind: 'overrun', credits: overrun });
  team.countJobs(r.ephemeralId, 1);
  const raised = [...checkThresholds(alerts, r, seen, r.credits), ...overrunAlert(alerts, r, overrun, teamSpent(team))];
  return { overrun, raised };
}

/** Reservations: taken and returned with their ledger entries, their leases kept on them. */
function createMemoryReservations({
  ledger,
  requests,
  alerts,
  announceAlerts,
}: MemoryState): Pick<Credits, 'reserve' | 'release' | 'renewLease' | 'expiredReservations'> {
  return {
    async reserve(r) {
      const count = r.quota?.perMinute ? requests.count(r.team, r.quota) : undefined;
      const counted = count ? { counted: count } : {};
      if (r.quota && count && isOverQuota(r.quota, count)) return { ok: false, overQuota: true, counted: count };
      const team = ledger(r.team);
      const { keyId, model, credits, windows, leaseUntil, ephemeral } = r;
      if (ephemeral?.maxJobs != null && team.counted(`eph:${ephemeral.id}:jobs`) >= ephemeral.maxJobs) {
        return { ok: false, jobsUsedUp: true, ...counted };
      }
      const seen = spendSeen(team, r);
      const available = team.room(r);
      if (available !== null && available < r.credits) {
        announceAlerts(checkThresholds(alerts(r.team), r, seen, 0), r.requestId);
        return { ok: false, available: Math.max(available, 0), ...counted };
      }
      const ephemeralId = ephemeral?.id;
      team.move(r, { kind: 'reserve', keyId, model, windows, credits, reservationId: r.reservationId, ephemeralId });
      team.countJobs(ephemeralId, 1);
      team.reservations.set(r.reservationId, {
        keyId,
        model,
        credits,
        windows,
        leaseUntil,
        ...(ephemeralId && { ephemeralId }),
      });
      announceAlerts(checkThresholds(alerts(r.team), r, seen, credits), r.requestId);
      return { ok: true, ...counted };
    },

    async release(r) {
      const team = ledger(r.team);
      const reservation = team.reservations.get(r.reservationId);
      if (!reservation) return 0;
      team.reservations.delete(r.reservationId);
      team.move(r, {
        ...reservation,
        kind: 'release',
        credits: -reservation.credits,
        reservationId: r.reservationId,
        note: r.why,
      });
      team.countJobs(reservation.ephemeralId, -1);
      return reservation.credits;
    },

    async renewLease(teamName, reservationId, leaseUntil) {
      const reservation = ledger(teamName).reservations.get(reservationId);
      if (reservation) reservation.leaseUntil = leaseUntil;
    },

    async expiredReservations(teamName, now, limit) {
      return [...ledger(teamName).reservations.entries()]
        .filter(([, reservation]) => reservation.leaseUntil <= now)
        .slice(0, limit)
        .map(([reservationId, { model, windows }]) => ({ reservationId, team: teamName, model, day: windows[0]! }));
    },
  };
}

/** A job's credits: taking over its reservation when Apiframe accepts it, and settling it. */
function createMemoryJobCharges({
  ledger,
  alerts,
  announceAlerts,
}: MemoryState): Pick<Credits, 'attachJob' | 'settle'> {
  return {
    async attachJob(r) {
      const team = ledger(r.team);
      const reservation = team.reservations.get(r.reservationId);
      team.reservations.delete(r.reservationId);
      if (team.jobs.has(r.jobId)) {
        if (reservation) {
          const returned = {
            ...reservation,
            kind: 'release' as const,
            credits: -reservation.credits,
            note: 'duplicate job',
          };
          team.move(r, { ...returned, jobId: r.jobId, reservationId: r.reservationId });
          team.countJobs(reservation.ephemeralId, -1);
        }
        return { state: 'duplicate', overrun: 0, released: reservation?.credits ?? 0 };
      }
      const { overrun, raised } = reservation ? { overrun: 0, raised: [] } : retakeLapsed(team, alerts(r.team), r);
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
        ...(r.ephemeralId && { ephemeralId: r.ephemeralId }),
      });
      announceAlerts(raised, r.requestId);
      return { state: reservation ? 'attached' : 'retaken', overrun, released: 0 };
    },

    async settle(r) {
      const team = ledger(r.team);
      const job = team.jobs.get(r.jobId);
      if (job?.state === 'settled' && !job.finalBody) job.finalBody = r.finalBody || null;
      if (job?.state !== 'pending') return { settled: false, overrun: 0 };
      const kind = r.status === 'COMPLETED' ? ('settle' as const) : ('refund' as const);
      const { keyId, model, windows, ephemeralId } = job;
      const moved = { kind, keyId, model, windows, jobId: r.jobId, note: r.status, ephemeralId };
      const overrun = team.charge(r, moved, r.credits, job.reserved, `charged ${r.credits}, reserved ${job.reserved}`);
      Object.assign(job, { state: 'settled', charged: r.credits, finalBody: r.finalBody || null });
      announceAlerts(
        overrunAlert(alerts(r.team), { keyId, windows, now: r.now }, overrun, teamSpent(team)),
        r.requestId,
      );
      return { settled: true, overrun };
    },
  };
}

/** Spend, ledger entries and aggregates, read from the team's ledger (entries and cells as copies). */
function createMemoryCreditReads({
  ledger,
}: MemoryState): Pick<Credits, 'spend' | 'pruneSpend' | 'readLedger' | 'aggregates'> {
  return {
    async spend(q) {
      const team = ledger(q.team);
      const spend: Spend = { key: {}, team: {} };
      for (const w of q.windows) {
        if (q.keyId) spend.key[w] = team.counted(`key:${q.keyId}:${w}`);
        spend.team[w] = team.counted(`team:${w}`);
      }
      if (q.ephemeralId) spend.ephemeral = team.counted(`eph:${q.ephemeralId}`);
      return spend;
    },

    async pruneSpend(teamName, isStale) {
      const { spend } = ledger(teamName);
      const stale = [...spend.keys()].filter(isStale);
      for (const field of stale) spend.delete(field);
      return stale.length;
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
  };
}

export function createMemoryCredits(state: MemoryState): Credits {
  return {
    ...createMemoryReservations(state),
    ...createMemoryJobCharges(state),
    ...createMemoryCreditReads(state),
  };
}
