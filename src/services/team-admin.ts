// Teams and their shared budgets. A team budget caps all the team's keys together; the
// reserve step checks it atomically with the key's own budget. Each team also has a UUID, its id
// in Apiframe's shapes (/v2/me), while its slug stays its name and URL id.
import { errors } from '../errors.js';
import type { CreateTeamBody, UpdateTeamBody } from '../schemas/admin.js';
import { auditEntry, withRetries, type Actor } from './audited-change.js';
import { remainingOf, windowOf } from '../domain/budgets.js';
import type { Clock } from './clock.js';
import type { TeamRecord } from '../domain/keys.js';
import type { Store } from './store/store.js';

export function createTeamAdmin(store: Store, clock: Clock) {
  const iso = (at: number) => new Date(at).toISOString();
  /** Read once per instance: a team's UUID never changes. */
  const uuids = new Map<string, string>();

  async function uuidOf(team: string): Promise<string> {
    let uuid = uuids.get(team);
    if (uuid === undefined) {
      uuid = await store.teamUuid(team);
      uuids.set(team, uuid);
    }
    return uuid;
  }

  async function view(team: TeamRecord) {
    const now = clock();
    const window = windowOf(team.budget?.period ?? 'total', now);
    const [spend, uuid] = await Promise.all([store.spend({ team: team.id, windows: [window] }), uuidOf(team.id)]);
    const spent = spend.team[window] ?? 0;
    const { version: _version, ...shown } = team;
    const alertThresholds = team.alertThresholds ?? null;
    return { ...shown, alertThresholds, uuid, window, spent, remaining: remainingOf(team.budget, spent) };
  }

  const withoutVersion = ({ version: _version, ...team }: TeamRecord) => team;

  return {
    uuidOf,

    async create(input: CreateTeamBody, actor: Actor) {
      const now = clock();
      const team: TeamRecord = {
        id: input.id,
        name: input.name ?? input.id,
        budget: input.budget,
        alertThresholds: input.alertThresholds ?? null,
        createdAt: iso(now),
        updatedAt: iso(now),
        version: 1,
      };
      const audit = auditEntry(actor, 'team.create', `team:${team.id}`, null, withoutVersion(team), now);
      if (!(await store.saveTeam({ record: team, expectedVersion: 0, audit }))) throw new errors.TeamExists(team.id);
      return view(team);
    },

    async update(id: string, patch: UpdateTeamBody, actor: Actor) {
      const team = await withRetries(async () => {
        const before = await store.getTeam(id);
        if (!before) throw new errors.TeamNotFound();
        const now = clock();
        const after: TeamRecord = { ...before, ...patch, version: before.version + 1, updatedAt: iso(now) };
        const audit = auditEntry(
          actor,
          'team.update',
          `team:${id}`,
          withoutVersion(before),
          withoutVersion(after),
          now,
        );
        return (await store.saveTeam({ record: after, expectedVersion: before.version, audit })) ? after : null;
      });
      return view(team);
    },

    async get(id: string) {
      const team = await store.getTeam(id);
      if (!team) throw new errors.TeamNotFound();
      return view(team);
    },

    async list() {
      return Promise.all((await store.listTeams()).map(view));
    },
  };
}

export type TeamAdmin = ReturnType<typeof createTeamAdmin>;
