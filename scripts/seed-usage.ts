// Seeds a gateway with a realistic spread of usage over a range of days: three teams (two with
// budgets), several keys, completed, failed and refused jobs, and a few that cost more than
// reserved. Used by the dashboard's browser tests and its screenshot. Deterministic: the same
// arguments give the same data.
import type { FastifyInstance } from 'fastify';

export interface SeedOptions {
  adminToken: string;
  /** Sets the gateway's clock (the app must have been built with this clock). */
  setTime(iso: string): void;
  days: string[];
  /** The image models the jobs take turns with (default: seedream-4 alone); the gateway must price each. */
  models?: (keyof typeof BODIES)[];
}

const BODIES = {
  'seedream-4': (prompt: string) => ({
    prompt,
    model: 'seedream-4',
    seedreamParams: { size: '2K', aspect_ratio: '16:9' },
  }),
  midjourney: (prompt: string) => ({ prompt, model: 'midjourney' }),
};

const TEAMS = [
  { id: 'marketing', name: 'Marketing', budget: { credits: 600, period: 'month' } },
  { id: 'design', name: 'Design', budget: { credits: 450, period: 'month' } },
  { id: 'research', name: 'Research', budget: null },
];

const KEYS = [
  { team: 'marketing', name: 'Campaign site', weight: 5, budget: { credits: 300, period: 'month' } },
  { team: 'marketing', name: 'Social, "EMEA"', weight: 3, budget: null },
  { team: 'design', name: 'Figma plugin', weight: 4, budget: { credits: 250, period: 'month' } },
  { team: 'design', name: 'Batch renders', weight: 2, budget: null },
  { team: 'research', name: 'Notebook', weight: 2, budget: null },
];

/** A small deterministic generator (mulberry32): the same seed, the same numbers. */
export function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface Seeded {
  /** A `usage:read:all` key: every team's usage. */
  usageKey: string;
  /** A `usage:read` key of the marketing team: that team's usage only. */
  marketingUsageKey: string;
  jobs: number;
}

export async function seedUsage(app: FastifyInstance, options: SeedOptions): Promise<Seeded> {
  const admin = { authorization: `Bearer ${options.adminToken}` };
  options.setTime(`${options.days[0]}T08:00:00.000Z`);
  for (const team of TEAMS) {
    await app.inject({ method: 'POST', url: '/admin/teams', headers: admin, payload: team });
  }
  const keys: { key: string; weight: number }[] = [];
  for (const { weight, ...body } of KEYS) {
    const created = await app.inject({ method: 'POST', url: '/admin/keys', headers: admin, payload: body });
    keys.push({ key: created.json<{ key: string }>().key, weight });
  }
  const usageKey = async (team: string, name: string, scope: string) => {
    const created = await app.inject({
      method: 'POST',
      url: '/admin/keys',
      headers: admin,
      payload: { team, name, scopes: [scope] },
    });
    return created.json<{ key: string }>().key;
  };
  const finance = await usageKey('finance', 'Finance dashboard', 'usage:read:all');
  const marketingFinance = await usageKey('marketing', 'Marketing spend', 'usage:read');

  const models = options.models ?? ['seedream-4'];
  const next = mulberry32(42);
  let jobs = 0;
  for (const [dayIndex, day] of options.days.entries()) {
    options.setTime(`${day}T10:00:00.000Z`);
    for (const { key, weight } of keys) {
      const count = Math.floor(next() * weight * (1 + dayIndex / options.days.length));
      for (let i = 0; i < count; i++) {
        const roll = next();
        const prompt =
          roll < 0.08
            ? 'a product shot [sim:fail]'
            : roll < 0.1
              ? 'a product shot [sim:status=500]'
              : roll >= 0.97
                ? 'a product shot [sim:cost=4]'
                : 'a product shot';
        const response = await app.inject({
          method: 'POST',
          url: '/v2/images/generate',
          headers: { 'x-api-key': key },
          payload: BODIES[models[(jobs + i) % models.length]!](prompt),
        });
        if (response.statusCode !== 202) continue;
        jobs += 1;
        await app.inject({
          method: 'GET',
          url: `/v2/jobs/${response.json<{ jobId: string }>().jobId}`,
          headers: { 'x-api-key': key },
        });
      }
    }
  }
  return { usageKey: finance, marketingUsageKey: marketingFinance, jobs };
}
