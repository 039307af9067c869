// The README's admin walk-through, run as written against a listening gateway.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, gatewayOnRedis } from './helpers/gateway.js';

const execute = promisify(execFile);
const ctx = gatewayOnRedis();

function walkthrough(): string {
  const readme = readFileSync('README.md', 'utf8');
  const after = readme.slice(readme.indexOf('<!-- walkthrough -->'));
  const block = /```sh\n([\s\S]*?)```/.exec(after);
  expect(block, 'README.md has no walk-through block').not.toBeNull();
  return block![1]!;
}

describe('README walk-through', () => {
  it('runs as written', async () => {
    const url = await ctx.gw.app.listen({ port: 0, host: '127.0.0.1' });
    const { stdout } = await execute('bash', ['-euo', 'pipefail', '-c', walkthrough()], {
      env: { ...process.env, APIFRAME_GATEWAY_URL: url, ADMIN_TOKEN },
    });
    expect(stdout).toMatch(/"jobId":"[0-9a-f-]{36}","status":"QUEUED"/);
    expect(stdout).toContain('web frontend');
    expect(stdout).toMatch(/budget\s+│ 3000\/month/);
    expect(stdout).toMatch(/spent\s+│ 3\s/);
    expect(stdout).toMatch(/Revoked batch jobs \(gk_/);
  }, 60_000);
});
