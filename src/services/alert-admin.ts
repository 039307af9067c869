// A team's alert targets and its alert history, as admins manage and read them. A target's
// secret is shown once and stored only as its SHA-256; each change is noted in the audit trail
// (a Slack URL's path masked).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { errors } from '../errors.js';
import type { Alert, AlertTarget } from '../domain/alerts.js';
import type { AlertHistoryQuery, CreateAlertTargetBody } from '../schemas/alerts.js';
import { auditEntry, type Actor } from './audited-change.js';
import type { Clock } from './clock.js';
import type { Store } from './store/store.js';

export interface AlertAdminDeps {
  store: Store;
  clock: Clock;
  /** The SSRF guard of the delivery agent: throws a 400 for a target it would not connect to. */
  checkTarget(url: string): Promise<void>;
}

const shown = ({ secretHash: _secretHash, ...target }: AlertTarget) => target;

/** A target as the audit trail keeps it: a Slack webhook URL's path works like a password. */
function audited(target: AlertTarget) {
  const entry = shown(target);
  return target.format === 'slack' ? { ...entry, url: `${new URL(target.url).origin}/…` } : entry;
}

/** Newest first: by time, then by id (`<ms>-<sequence>`, compared as numbers). */
function newestFirst(a: Alert, b: Alert): number {
  const [aMs = 0, aSeq = 0] = a.id.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.id.split('-').map(Number);
  return b.at.localeCompare(a.at) || bMs - aMs || bSeq - aSeq;
}

export function createAlertAdmin({ store, clock, checkTarget }: AlertAdminDeps) {
  async function existingTeam(team: string): Promise<void> {
    if (!(await store.getTeam(team))) throw new errors.TeamNotFound();
  }

  return {
    async create(team: string, input: CreateAlertTargetBody, actor: Actor) {
      await existingTeam(team);
      await checkTarget(input.url);
      const secret = `gwa_${randomBytes(24).toString('base64url')}`;
      const now = clock();
      const target: AlertTarget = {
        id: randomUUID(),
        url: input.url,
        format: input.format,
        secretHash: createHash('sha256').update(secret).digest('hex'),
        createdAt: new Date(now).toISOString(),
      };
      await store.saveAlertTarget(team, target);
      await store.appendAudit(auditEntry(actor, 'alert-target.create', `team:${team}`, null, audited(target), now));
      return { ...shown(target), secret };
    },

    async list(team: string) {
      await existingTeam(team);
      return (await store.alertTargets(team)).map(shown);
    },

    /** Removes a target; one already gone is no error (a retried delete), and is not audited again. */
    async remove(team: string, id: string, actor: Actor): Promise<void> {
      await existingTeam(team);
      const target = await store.alertTarget(team, id);
      if (!target || !(await store.deleteAlertTarget(team, id))) return;
      await store.appendAudit(auditEntry(actor, 'alert-target.delete', `team:${team}`, audited(target), null, clock()));
    },

    /** Alerts of one team or of every team, newest first, raised on the days from..to (UTC, inclusive). */
    async history(query: AlertHistoryQuery): Promise<Alert[]> {
      const teams = query.team ? [query.team] : await store.teams();
      const histories = await Promise.all(teams.map((team) => store.alertHistory(team)));
      const day = (alert: Alert) => alert.at.slice(0, 10);
      return histories
        .flat()
        .filter((alert) => (!query.from || day(alert) >= query.from) && (!query.to || day(alert) <= query.to))
        .sort(newestFirst)
        .slice(0, query.limit);
    },
  };
}

export type AlertAdmin = ReturnType<typeof createAlertAdmin>;
