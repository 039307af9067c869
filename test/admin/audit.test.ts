import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, expectNoSecrets, gatewayOnRedis, uniqueTeam } from '../helpers/gateway.js';

const ctx = gatewayOnRedis();
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('the audit trail', () => {
  it('records every admin change with who, what, when and before/after, and no secret', async () => {
    const { gw } = ctx;
    const team = uniqueTeam();
    const call = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, headers = admin) =>
      gw.inject({ method, url, headers, ...(payload && { payload }) });

    await call('POST', '/admin/teams', { id: team, budget: { credits: 100, period: 'month' } });
    await call('PATCH', `/admin/teams/${team}`, { budget: { credits: 50, period: 'month' } });
    const created = (await call('POST', '/admin/keys', { name: 'k', team, scopes: ['generate', 'admin'] })).json();
    await call('PATCH', `/admin/keys/${created.id}`, { name: 'renamed' }, { authorization: `Bearer ${created.key}` });
    const rotated = (await call('POST', `/admin/keys/${created.id}/rotate`, { gracePeriodSeconds: 10 })).json();
    await call('DELETE', `/admin/keys/${created.id}`);

    const response = await gw.inject({ method: 'GET', url: '/admin/audit?limit=6', headers: admin });
    expect(response.statusCode).toBe(200);
    const { entries } = response.json();
    expect(entries.map((e: { action: string }) => e.action)).toEqual([
      'key.revoke',
      'key.rotate',
      'key.update',
      'key.create',
      'team.update',
      'team.create',
    ]);
    const [revoke, rotate, update, create, teamUpdate, teamCreate] = entries;
    expect(teamCreate).toMatchObject({
      actor: 'admin-token',
      target: `team:${team}`,
      before: null,
      after: { budget: { credits: 100 } },
    });
    expect(teamUpdate).toMatchObject({ before: { budget: { credits: 100 } }, after: { budget: { credits: 50 } } });
    expect(create).toMatchObject({ target: `key:${created.id}`, before: null, after: { name: 'k', team } });
    expect(update).toMatchObject({ actor: `key:${created.id}`, before: { name: 'k' }, after: { name: 'renamed' } });
    expect(rotate.before.prefix).toBe(created.prefix);
    expect(rotate.after.prefix).toBe(rotated.prefix);
    expect(revoke.before.revokedAt).toBeNull();
    expect(revoke.after.revokedAt).toEqual(expect.any(String));
    for (const entry of entries) {
      expect(Date.parse(entry.at)).not.toBeNaN();
      expect(entry.requestId).toEqual(expect.any(String));
    }

    const hashes = [created.key, rotated.key].map((key) => createHash('sha256').update(key).digest('hex'));
    expectNoSecrets(response.body, [created.key, rotated.key, ADMIN_TOKEN, ...hashes], 'the audit trail');

    const next = await gw.inject({
      method: 'GET',
      url: `/admin/audit?limit=3&cursor=${entries[2].id}`,
      headers: admin,
    });
    expect(next.json().entries.map((e: { action: string }) => e.action)).toEqual([
      'key.create',
      'team.update',
      'team.create',
    ]);
  });

  it('records the implicit creation of a team by its first key', async () => {
    const key = await ctx.gw.createKey();
    const { entries } = (await ctx.gw.inject({ method: 'GET', url: '/admin/audit?limit=2', headers: admin })).json();
    expect(entries.map((e: { action: string; target: string }) => `${e.action} ${e.target}`)).toEqual([
      `key.create key:${key.id}`,
      `team.create team:${key.team}`,
    ]);
  });
});
