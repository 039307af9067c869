// `apiframe-gateway-admin alerts …` against a listening gateway: thresholds of a team and of a
// key (a bad list refused before any request), a team's alert targets added, listed and removed,
// and the alert history an overrun left.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, SEED_BODY, startGateway, type TestGateway } from '../helpers/gateway.js';

const execute = promisify(execFile);
let gw: TestGateway;
let url: string;

beforeAll(async () => {
  gw = await startGateway();
  url = await gw.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => gw.close());

const cli = (...args: string[]) =>
  execute(process.execPath, ['--import', 'tsx', 'src/cli/admin.ts', '--url', url, ...args], {
    env: { PATH: process.env.PATH ?? '', ADMIN_TOKEN },
  });

describe('alerts', () => {
  it("sets a team's and a key's thresholds, back to the default, and refuses a bad list", async () => {
    const key = await gw.createKey();
    expect((await cli('alerts', 'set-thresholds', key.team, '50,90')).stdout).toContain(
      `Alert thresholds of team ${key.team}: 50, 90.`,
    );
    const { stdout } = await cli('--json', 'alerts', 'set-thresholds', key.team, 'none', '--key', key.id);
    expect(JSON.parse(stdout)).toMatchObject({ id: key.id, alertThresholds: [] });
    expect((await cli('alerts', 'set-thresholds', key.team, 'default')).stdout).toContain('the default');
    await expect(cli('alerts', 'set-thresholds', key.team, '50,50')).rejects.toMatchObject({
      stderr: expect.stringContaining('must NOT have duplicate items'),
    });
    await expect(cli('alerts', 'set-thresholds', key.team, '80%')).rejects.toMatchObject({
      stderr: expect.stringContaining('thresholds must look like 50,80,100'),
    });
  });

  it("adds, lists and removes a team's alert targets", async () => {
    const key = await gw.createKey();
    const added = JSON.parse(
      (await cli('--json', 'alerts', 'targets', 'add', key.team, 'https://1.1.1.1/hook', '--format', 'slack')).stdout,
    );
    expect(added).toMatchObject({
      url: 'https://1.1.1.1/hook',
      format: 'slack',
      secret: expect.stringMatching(/^gwa_/),
    });
    const listed = (await cli('alerts', 'targets', 'list', key.team)).stdout;
    expect(listed).toContain(added.id);
    expect(listed).not.toContain(added.secret);
    expect((await cli('alerts', 'targets', 'remove', key.team, added.id)).stdout).toContain('Removed');
    expect((await cli('alerts', 'targets', 'list', key.team)).stdout).not.toContain(added.id);
    await expect(cli('alerts', 'targets', 'add', key.team, 'https://127.0.0.1/hook')).rejects.toMatchObject({
      stderr: expect.stringContaining('[HTTP 400]'),
    });
  });

  it('prints the alert history', async () => {
    const key = await gw.createKey();
    const accepted = await gw.generate(key.key, { ...SEED_BODY, prompt: `${SEED_BODY.prompt} [sim:cost=7]` });
    await gw.poll(key.key, accepted.json().jobId);
    const { stdout } = await cli('alerts', 'history', '--team', key.team);
    expect(stdout).toMatch(new RegExp(`${key.team}\\s*│\\s*${key.id}\\s*│\\s*overrun`));
  });
});
