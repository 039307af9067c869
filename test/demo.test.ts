// `npm run demo` prints curl commands; this runs them exactly as printed, with real curl.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
let demo: ChildProcess;
let output = '';

beforeAll(async () => {
  demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
    // A busy test machine is not what this tests: no load shedding (as in every test gateway).
    env: { ...process.env, PORT: '0', WEB_EXAMPLE_PORT: '0', LOG_LEVEL: 'warn', MAX_EVENT_LOOP_DELAY_MS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout?.on('data', (chunk) => (output += chunk));
  demo.stderr?.on('data', (chunk) => (output += chunk));
  for (let i = 0; i < 200 && !output.includes('Press Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 50));
}, 30_000);
afterAll(() => {
  demo.kill('SIGTERM');
});

/** The printed command whose first line matches `pattern`, joined across its continuation lines. */
function printedCommand(pattern: RegExp): string {
  const lines = output.split('\n');
  const start = lines.findIndex((line) => pattern.test(line));
  expect(start, `no command matching ${pattern} in:\n${output}`).toBeGreaterThanOrEqual(0);
  let command = '';
  for (let i = start; i < lines.length; i++) {
    command += lines[i]!.replace(/\\$/, '');
    if (!lines[i]!.endsWith('\\')) break;
  }
  return command;
}

const shell = async (command: string) => (await run('bash', ['-c', `${command} --silent --show-error`])).stdout;

describe('npm run demo', () => {
  it('prints curl commands that work as they stand', async () => {
    const accepted = JSON.parse(await shell(printedCommand(/^curl -X POST /)));
    expect(accepted).toMatchObject({ status: 'QUEUED' });

    const poll = printedCommand(/^curl \S+\/v2\/jobs\/JOB_ID /).replace('JOB_ID', accepted.jobId);
    let job = JSON.parse(await shell(poll));
    for (let i = 0; i < 50 && job.status !== 'COMPLETED'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      job = JSON.parse(await shell(poll));
    }
    expect(job).toMatchObject({ id: accepted.jobId, status: 'COMPLETED', creditCost: 3 });

    const video = JSON.parse(await shell(printedCommand(/^curl -X POST \S+\/v2\/videos\/generate /)));
    expect(video).toMatchObject({ status: 'QUEUED' });
    const videoPoll = poll.replace(accepted.jobId, video.jobId);
    for (let i = 0; i < 50 && JSON.parse(await shell(videoPoll)).status !== 'COMPLETED'; i++) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(JSON.parse(await shell(videoPoll))).toMatchObject({ status: 'COMPLETED', creditCost: 35 });
    const offered = JSON.parse(await shell(printedCommand(/^curl "\S+\/v2\/models\?modality=video"/)));
    expect(offered.models.find((model: { id: string }) => model.id === 'kling-2.6').gatewayPrice).toMatchObject({
      rule: 'per-second',
      credits: 7,
      source: 'catalogue',
    });

    const me = JSON.parse(await shell(printedCommand(/^curl \S+\/v2\/me /)));
    expect(me.team.credits).toBe(62);
    const keys = JSON.parse(await shell(printedCommand(/^curl \S+\/admin\/keys /)));
    expect(keys.keys[0]).toMatchObject({ team: 'demo', spent: 38, remaining: 62 });
  });

  it('serves the web example, whose backend mints the page a browser key bound to its origin', async () => {
    const page = /web example {2}(\S+)/.exec(output)?.[1];
    expect(page, output).toBeDefined();
    const html = await fetch(page!);
    expect(html.status).toBe(200);
    expect(await html.text()).toContain('<form id="generate">');
    const cookie = html.headers.get('set-cookie')!.split(';')[0]!;
    const minted = await fetch(`${page}/api/browser-key`, { method: 'POST', headers: { cookie } });
    const { key, gatewayUrl } = (await minted.json()) as { key: string; gatewayUrl: string };
    expect(key).toMatch(/^gke_/);
    const me = await fetch(`${gatewayUrl}/v2/me`, { headers: { origin: page!, 'x-api-key': key } });
    expect(me.headers.get('access-control-allow-origin')).toBe(page);
    expect(((await me.json()) as { team: { credits: number } }).team.credits).toBe(30);
  });
});
