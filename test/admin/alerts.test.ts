// Budget alert settings through the admin API: thresholds on teams and keys (bad ones are 400s),
// alert targets behind the webhook SSRF guard with their secret shown once, the audit trail,
// and who may read the alert history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startGateway, uniqueTeam, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw.close();
});

const send = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  gw.inject({ method, url, headers: admin, ...(payload && { payload }) });

async function newTeam(): Promise<string> {
  const id = uniqueTeam();
  expect((await send('POST', '/admin/teams', { id, budget: { credits: 100, period: 'month' } })).statusCode).toBe(201);
  return id;
}

const BAD_THRESHOLDS = [[0], [101], [-5], [50, 50], [12.5], ['80'], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]];

describe('alert thresholds', () => {
  it('are null (the default) until set, and settable on a team and a key', async () => {
    const team = await newTeam();
    expect((await send('GET', `/admin/teams/${team}`)).json().alertThresholds).toBeNull();
    const patched = await send('PATCH', `/admin/teams/${team}`, { alertThresholds: [25, 90] });
    expect(patched.json().alertThresholds).toEqual([25, 90]);
    const key = await gw.createKey({ team, alertThresholds: [] });
    expect((await send('GET', `/admin/keys/${key.id}`)).json().alertThresholds).toEqual([]);
    const unset = await send('PATCH', `/admin/keys/${key.id}`, { alertThresholds: null });
    expect(unset.json().alertThresholds).toBeNull();
  });

  it.each(BAD_THRESHOLDS.map((value) => [JSON.stringify(value), value]))(
    'refuses %s with a 400 on teams and keys, changing nothing',
    async (_name, value) => {
      const team = await newTeam();
      const key = await gw.createKey({ team });
      for (const [method, url, fields] of [
        ['PATCH', `/admin/teams/${team}`, {}],
        ['PATCH', `/admin/keys/${key.id}`, {}],
        ['POST', '/admin/keys', { name: 'k', team }],
      ] as const) {
        const response = await send(method, url, { ...fields, alertThresholds: value });
        expect(response.statusCode, `${method} ${url}: ${response.body}`).toBe(400);
        expect(response.json()).toMatchObject({ error: expect.any(String), details: expect.any(Object) });
      }
      expect((await send('GET', `/admin/teams/${team}`)).json().alertThresholds).toBeNull();
    },
  );
});

describe('alert targets', () => {
  it.each([
    ['loopback', 'https://127.0.0.1/hook'],
    ['private', 'https://10.1.2.3/hook'],
    ['link-local (cloud metadata)', 'https://169.254.169.254/latest'],
    ['plain http', 'http://1.1.1.1/hook'],
  ])('refuses a %s URL with the SSRF guard’s 400', async (_kind, url) => {
    const team = await newTeam();
    const response = await send('POST', `/admin/teams/${team}/alert-targets`, { url, format: 'webhook' });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().details.url).toEqual([expect.any(String)]);
    expect((await send('GET', `/admin/teams/${team}/alert-targets`)).json()).toEqual({ targets: [] });
  });

  it('adds a target with its secret shown once, lists it without, deletes it, and audits both', async () => {
    const team = await newTeam();
    const created = await send('POST', `/admin/teams/${team}/alert-targets`, {
      url: 'https://1.1.1.1/hook',
      format: 'slack',
    });
    expect(created.statusCode, created.body).toBe(201);
    const target = created.json();
    expect(target).toEqual({
      id: expect.any(String),
      url: 'https://1.1.1.1/hook',
      format: 'slack',
      createdAt: expect.any(String),
      secret: expect.stringMatching(/^gwa_/),
    });
    const listed = await send('GET', `/admin/teams/${team}/alert-targets`);
    expect(listed.json()).toEqual({
      targets: [{ id: target.id, url: target.url, format: 'slack', createdAt: target.createdAt }],
    });
    expect(listed.body).not.toContain(target.secret);
    expect((await send('DELETE', `/admin/teams/${team}/alert-targets/${target.id}`)).statusCode).toBe(204);
    expect((await send('DELETE', `/admin/teams/${team}/alert-targets/${target.id}`)).statusCode).toBe(204);
    expect((await send('GET', `/admin/teams/${team}/alert-targets`)).json()).toEqual({ targets: [] });
    const audit = (await send('GET', '/admin/audit?limit=50')).json().entries as { action: string; target: string }[];
    const mine = audit.filter((entry) => entry.target === `team:${team}`).map((entry) => entry.action);
    expect(mine.slice(0, 2)).toEqual(['alert-target.delete', 'alert-target.create']);
    expect(JSON.stringify(audit)).not.toContain(target.secret);
  });

  it("masks a Slack webhook URL's path in the audit trail", async () => {
    const team = await newTeam();
    const url = 'https://1.1.1.1/services/T000/B000/XXXX';
    const created = await send('POST', `/admin/teams/${team}/alert-targets`, { url, format: 'slack' });
    expect(created.json().url).toBe(url);
    await send('DELETE', `/admin/teams/${team}/alert-targets/${created.json().id}`);
    const audit = (await send('GET', '/admin/audit?limit=50')).json().entries as {
      action: string;
      target: string;
      before: { url: string } | null;
      after: { url: string } | null;
    }[];
    const urls = audit
      .filter((entry) => entry.target === `team:${team}` && entry.action.startsWith('alert-target.'))
      .map((entry) => (entry.after ?? entry.before)?.url);
    expect(urls).toEqual(['https://1.1.1.1/…', 'https://1.1.1.1/…']);
    expect(JSON.stringify(audit)).not.toContain('XXXX');
  });

  it('refuses a target of a team that does not exist, and an unknown format', async () => {
    const missing = await send('POST', `/admin/teams/${uniqueTeam()}/alert-targets`, {
      url: 'https://1.1.1.1/hook',
      format: 'webhook',
    });
    expect(missing.statusCode).toBe(404);
    const team = await newTeam();
    const format = await send('POST', `/admin/teams/${team}/alert-targets`, {
      url: 'https://1.1.1.1/',
      format: 'email',
    });
    expect(format.statusCode).toBe(400);
  });
});

describe('alert history', () => {
  /** A team whose first generation raises its 1 % alert. */
  async function alertedTeam(): Promise<string> {
    const team = await newTeam();
    expect((await send('PATCH', `/admin/teams/${team}`, { alertThresholds: [1] })).statusCode).toBe(200);
    expect((await gw.generate((await gw.createKey({ team })).key)).statusCode).toBe(202);
    return team;
  }

  it("lets a usage:read key read its own team's alerts only", async () => {
    const [team, other] = [await alertedTeam(), await alertedTeam()];
    const all = (await send('GET', '/admin/usage/alerts')).json().alerts as { team: string }[];
    expect(all.map((alert) => alert.team)).toEqual(expect.arrayContaining([team, other]));
    const own = await gw.createKey({ team, scopes: ['usage:read'] });
    const asKey = (url: string) => gw.inject({ method: 'GET', url, headers: { authorization: `Bearer ${own.key}` } });
    const mine = (await asKey('/admin/usage/alerts')).json().alerts;
    expect(mine).toEqual([expect.objectContaining({ team, kind: 'threshold', threshold: 1 })]);
    expect((await asKey(`/admin/usage/alerts?team=${uniqueTeam()}`)).statusCode).toBe(403);
    expect((await send('GET', '/admin/usage/alerts?limit=0')).statusCode).toBe(400);
  });
});
