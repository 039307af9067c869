// Every bench and script ends by itself: each is run short (a small ledger, a screenshot to a
// temporary file) and must exit with 0 within its time, and the simulator must exit on SIGTERM
// even with a client's keep-alive connection open. bench:profile runs, short, as the README
// gives it (readme-commands.test.ts). `npm run bench` takes about a minute even when short, so it
// runs only with FULL_BENCH=1.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'gw-scripts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs `command`; SIGTERM after `signalAfter` once `ready` is printed; killed (a failure) past `limitMs`. */
function run(
  command: string,
  args: string[],
  options: {
    env?: Record<string, string>;
    limitMs: number;
    ready?: string;
    onReady?: (output: string) => Promise<void>;
  },
): Promise<Exit> {
  const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let signalled = false;
  const listen = (chunk: Buffer) => {
    output += chunk;
    if (options.ready && !signalled && output.includes(options.ready)) {
      signalled = true;
      void (options.onReady?.(output) ?? Promise.resolve()).then(() => child.kill('SIGTERM'));
    }
  };
  child.stdout.on('data', listen);
  child.stderr.on('data', listen);
  const limit = setTimeout(() => child.kill('SIGKILL'), options.limitMs);
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(limit);
      resolve({ code, signal, output });
    }),
  );
}

const tsx = (script: string, options: Parameters<typeof run>[2]) =>
  run(process.execPath, ['--import', 'tsx', script], options);

describe('benches and scripts end by themselves', () => {
  it('npm run bench:usage exits once it has printed its table', async () => {
    const exit = await tsx('bench/usage-report.ts', { env: { ENTRIES: '200' }, limitMs: 30_000 });
    expect(exit, exit.output).toMatchObject({ code: 0, signal: null });
    expect(exit.output).toContain('| team,key,model,day |');
  }, 40_000);

  it('npm run screenshot exits once the picture is written', async () => {
    const path = join(dir, 'dashboard.png');
    const exit = await tsx('scripts/dashboard-screenshot.ts', { env: { SCREENSHOT_PATH: path }, limitMs: 60_000 });
    expect(exit, exit.output).toMatchObject({ code: 0, signal: null });
    expect(exit.output).toContain(`${path} written`);
  }, 70_000);

  it('npm run screenshot:web exits once the picture is written', async () => {
    const path = join(dir, 'web-example.png');
    const exit = await tsx('scripts/web-example-screenshot.ts', { env: { SCREENSHOT_PATH: path }, limitMs: 60_000 });
    expect(exit, exit.output).toMatchObject({ code: 0, signal: null });
    expect(exit.output).toContain(`${path} written`);
  }, 70_000);

  it("the web example's backend serves its page when run with bare Node, and exits on SIGTERM", async () => {
    let page = '';
    const exit = await run(process.execPath, ['examples/web/server.mjs'], {
      env: { GATEWAY_URL: 'http://127.0.0.1:9', GATEWAY_SERVER_KEY: 'gk_unused', PORT: '0' },
      limitMs: 20_000,
      ready: 'web example on ',
      onReady: async (output) => {
        page = await (await fetch(/web example on (\S+)/.exec(output)![1]!)).text();
      },
    });
    expect(exit, exit.output).toMatchObject({ code: 0, signal: null });
    expect(page).toContain('<form id="generate">');
  }, 30_000);

  it('the simulator exits on SIGTERM, with a client connection still open', async () => {
    const exit = await tsx('scripts/simulator.ts', {
      env: { SIM_PORT: '0' },
      limitMs: 20_000,
      ready: 'listening on ',
      onReady: async (output) => {
        const url = /listening on (\S+)/.exec(output)![1]!;
        await fetch(`${url}/v2/models`).then((response) => response.arrayBuffer());
      },
    });
    expect(exit, exit.output).toMatchObject({ code: 0, signal: null });
  }, 30_000);

  it.runIf(process.env.FULL_BENCH === '1')(
    'npm run bench exits after its short runs',
    async () => {
      const exit = await run('npm', ['run', 'bench'], {
        env: {
          BENCH_SECONDS: '1',
          // The cost table and freshness run in readme-commands.test.ts's short bench; here only the exit matters.
          BENCH_COST_SECONDS: '0',
          BENCH_FRESHNESS_JOBS: '0',
          BENCH_SCALE_SECONDS: '1',
          BENCH_SCALE_CLIENTS: '20',
          BENCH_RESULTS: join(dir, 'RESULTS.md'),
        },
        limitMs: 300_000,
      });
      expect(exit, exit.output).toMatchObject({ code: 0, signal: null });
    },
    310_000,
  );
});
