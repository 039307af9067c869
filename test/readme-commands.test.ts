// The README's other command blocks, run as written so that none can rot: the admin curl, the
// finance curls (curl made to fail on an HTTP error), the production start line (its
// placeholders filled in, and a test redis-server for redis://redis:6379), and the benchmark
// commands with short durations (`npm run bench` itself only with FULL_BENCH=1: it takes a minute).
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, gatewayOnRedis, UPSTREAM_KEY } from './helpers/gateway.js';
import { freePort } from './helpers/redis-server.js';

const execute = promisify(execFile);
const ctx = gatewayOnRedis();
const dir = mkdtempSync(join(tmpdir(), 'gw-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The README's shell block whose first line starts with `start`. */
function block(start: string): string {
  const blocks = [...readFileSync('README.md', 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const found = blocks.find((text) => text.startsWith(start));
  expect(found, `README.md has no block starting with ${start}`).toBeDefined();
  return found!;
}

/** Runs `script` with bash, curl failing on any HTTP error status. */
async function bash(script: string, env: Record<string, string>, cwd = dir): Promise<string> {
  const strictCurl = 'curl() { command curl --fail-with-body --silent --show-error "$@"; }\n';
  const { stdout } = await execute('bash', ['-euo', 'pipefail', '-c', strictCurl + script], {
    cwd,
    env: { ...process.env, ...env },
  });
  return stdout;
}

describe('README command blocks', () => {
  it('the admin curl and the finance curls run as written', async () => {
    const url = await ctx.gw.app.listen({ port: 0, host: '127.0.0.1' });
    const created = await bash(
      block('curl -X POST http://127.0.0.1:8080/admin/keys').replaceAll('http://127.0.0.1:8080', url),
      {
        ADMIN_TOKEN,
      },
    );
    const teamKey = JSON.parse(created);
    expect(teamKey).toMatchObject({ name: 'web frontend', team: 'marketing', remaining: 300 });
    expect((await ctx.gw.generate(teamKey.key)).statusCode).toBe(202);

    const finance = await bash(block('curl "$GATEWAY/admin/usage'), {
      GATEWAY: url,
      ADMIN_TOKEN,
      TEAM_KEY: teamKey.key,
    });
    expect(finance).toContain('"totalsByModality"');
    expect(finance).toContain('"budget":{"credits":300,"period":"month"}');
    expect(readFileSync(join(dir, 'usage.csv'), 'utf8')).toMatch(/^key,keyName,keyPrefix,day,credits,/);
  }, 30_000);

  it('the production start line starts a gateway that answers and exits on SIGTERM', async () => {
    await execute('npm', ['run', 'build']);
    const line = block('npm ci && npm run build').split('\n')[1]!;
    const filled = line
      .replace('redis://redis:6379', ctx.redis.url)
      .replace('APIFRAME_API_KEY=afk_…', `APIFRAME_API_KEY=${UPSTREAM_KEY}`)
      .replace('ADMIN_TOKEN=…', `ADMIN_TOKEN=${ADMIN_TOKEN}`);
    expect(filled).not.toContain('…');
    const port = await freePort();
    // `env` runs the line's assignments and command as one process, which SIGTERM reaches.
    const child = spawn('bash', ['-c', `exec env ${filled}`], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        APIFRAME_BASE_URL: ctx.gw.sim.url,
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | string | null>((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? signal)),
    );
    let ready = 0;
    for (let attempt = 0; attempt < 200 && ready !== 200; attempt++) {
      ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (response) => response.status,
        () => 0,
      );
      if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(ready).toBe(200);
    child.kill('SIGTERM');
    // npm passes SIGTERM on to the gateway and, once the gateway has closed, ends by the same signal.
    expect([0, 'SIGTERM']).toContain(await exited);
    expect(
      await fetch(`http://127.0.0.1:${port}/healthz`).then(
        () => 'open',
        () => 'closed',
      ),
    ).toBe('closed');
  }, 40_000);

  const benches = block('npm run bench ')
    .split('\n')
    .filter((line) => line.startsWith('npm run'));
  const short = { BENCH_SECONDS: '1', BENCH_SCALE_SECONDS: '1', BENCH_SCALE_CLIENTS: '20', ENTRIES: '200' };
  it.each(benches.filter((line) => !line.startsWith('npm run bench ')).map((line) => [line.split('#')[0]!.trim()]))(
    '%s runs short and exits',
    async (command) => {
      expect(await bash(command, short, process.cwd())).not.toBe('');
    },
    60_000,
  );
  it.runIf(process.env.FULL_BENCH === '1')(
    'npm run bench runs short and exits',
    async () => {
      expect(benches[0]).toMatch(/^npm run bench +#/);
      await bash('npm run bench', { ...short, BENCH_RESULTS: join(dir, 'RESULTS.md') }, process.cwd());
    },
    600_000,
  );
});

describe('README ephemeral keys', () => {
  it('the ephemeral-key minting curl runs as written', async () => {
    // The admin curl's test above has the gateway listening already.
    const { port } = ctx.gw.app.server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    const server = await ctx.gw.createKey({ team: 'marketing', scopes: ['generate', 'keys:mint'] });
    const minted = JSON.parse(
      await bash(block('curl -X POST "$GATEWAY/v2/ephemeral-keys"'), { GATEWAY: url, SERVER_KEY: server.key }),
    );
    expect(minted).toMatchObject({ parentKeyId: server.id, team: 'marketing', budget: { credits: 9 }, maxJobs: 3 });
    expect((await ctx.gw.generate(minted.key)).statusCode).toBe(202);
  });
});
