// `keys mint` and `keys revoke-ephemeral`, run as real processes against a listening gateway: the
// ephemeral key printed once and usable at once, then revoked; the gateway's refusals printed as
// one line with exit code 1.
import { beforeAll, describe, expect, it } from 'vitest';
import { runAdminCli } from '../helpers/admin-cli.js';
import { gatewayOnRedis } from '../helpers/gateway.js';

const ctx = gatewayOnRedis();
let url: string;

beforeAll(async () => {
  url = await ctx.gw.app.listen({ port: 0, host: '127.0.0.1' });
});

const cli = (args: string[]) => runAdminCli(url, args);

describe('apiframe-gateway-admin keys mint', () => {
  it('mints an ephemeral key for a team key, printed once, that works at once', async () => {
    const parent = await ctx.gw.createKey();
    const args = ['--parent', parent.id, '--ttl', '15m', '--credits', '9', '--origin', 'https://app.example.com'];
    const run = await cli(['keys', 'mint', ...args, '--max-jobs', '2']);
    expect(run.code, run.stderr).toBe(0);
    const key = /Ephemeral key \(shown only now\): (gke_\S+)/.exec(run.stdout)?.[1];
    expect(key).toBeDefined();
    expect(run.stdout).toMatch(/credits\s+│ 9/);
    expect((await ctx.gw.generate(key!)).statusCode).toBe(202);

    const asJson = await cli(['--json', 'keys', 'mint', ...args, '--model', 'seedream-4']);
    const minted = JSON.parse(asJson.stdout);
    expect(minted).toMatchObject({ parentKeyId: parent.id, budget: { credits: 9 }, allowedModels: ['seedream-4'] });
    expect(Date.parse(minted.expiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);
  });

  it('prints the gateway’s refusal and exits 1, nothing minted', async () => {
    const parent = await ctx.gw.createKey({ budget: { credits: 5, period: 'day' } });
    const base = ['keys', 'mint', '--parent', parent.id, '--origin', 'https://app.example.com'];
    const overBudget = await cli([...base, '--credits', '9']);
    expect(overBudget.code).toBe(1);
    expect(overBudget.stderr).toContain('budget.credits: must be at most 5');
    const tooLong = await cli([...base, '--credits', '1', '--ttl', '2h']);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('ttlSeconds');
    const badTtl = await cli([...base, '--credits', '1', '--ttl', 'soon']);
    expect(badTtl.code).toBe(1);
    expect(badTtl.stderr).toContain('must be a duration');
  });

  it('revokes an ephemeral key, and says so when it is not the parent’s', async () => {
    const parent = await ctx.gw.createKey();
    const args = ['--parent', parent.id, '--credits', '9', '--origin', 'https://app.example.com'];
    const minted = JSON.parse((await cli(['--json', 'keys', 'mint', ...args])).stdout);
    const other = await ctx.gw.createKey();
    const wrong = await cli(['keys', 'revoke-ephemeral', minted.id, '--parent', other.id]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('Key not found [HTTP 404]');
    const run = await cli(['keys', 'revoke-ephemeral', minted.id, '--parent', parent.id]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Ephemeral key ${minted.id} revoked.`);
    const me = () => ctx.gw.inject({ method: 'GET', url: '/v2/me', headers: { 'x-api-key': minted.key } });
    await expect.poll(async () => (await me()).statusCode).toBe(401);
  });
});
