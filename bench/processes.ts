// The processes a benchmark measures, each a child process stopped when the run ends: the
// simulator, nginx, Portkey's gateway and ours.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/helpers/redis-server.js';

export const UPSTREAM_KEY = 'afk_bench_0123456789abcdef0123456789abcdef';
export const METRICS_TOKEN = 'bench-metrics-token-0123456789';
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const children: ChildProcess[] = [];

export interface Service {
  url: string;
  pid: number;
  stop(): void;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
}

function start(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  stderr: 'inherit' | 'ignore' = 'inherit',
): ChildProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', stderr] });
  children.push(child);
  return child;
}

export function stopAll(): void {
  for (const child of children) if (!child.killed) child.kill('SIGTERM');
}

async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not come up`);
}

async function service(child: ChildProcess, url: string, readyPath: string): Promise<Service> {
  await waitForHttp(`${url}${readyPath}`);
  const exited = new Promise<void>((resolve) =>
    child.exitCode === null ? child.once('exit', () => resolve()) : resolve(),
  );
  return { url, pid: child.pid!, stop: () => child.kill('SIGTERM'), exited };
}

/** The simulator, with jobs that finish at once unless their prompt says otherwise. */
export async function startSimulator(): Promise<Service> {
  const port = await freePort();
  const child = start(process.execPath, ['dist/scripts/simulator.js'], {
    SIM_PORT: String(port),
    SIM_API_KEY: UPSTREAM_KEY,
    SIM_JOB_MS: '0',
  });
  return service(child, `http://127.0.0.1:${port}`, '/v2/me');
}

/** nginx as a plain reverse proxy adding the upstream key; null where nginx is not installed. */
export async function startNginx(upstream: Service): Promise<Service | null> {
  const nginx = findExecutable('nginx');
  if (!nginx) return null;
  const dir = mkdtempSync(join(tmpdir(), 'gw-nginx-'));
  const port = await freePort();
  const config = readFileSync('bench/nginx.conf', 'utf8')
    .replaceAll('{{PORT}}', String(port))
    .replaceAll('{{UPSTREAM}}', new URL(upstream.url).host)
    .replaceAll('{{KEY}}', UPSTREAM_KEY)
    .replaceAll('{{DIR}}', dir);
  writeFileSync(join(dir, 'nginx.conf'), config);
  const child = start(nginx, ['-c', join(dir, 'nginx.conf'), '-p', dir, '-g', 'daemon off;']);
  return service(child, `http://127.0.0.1:${port}`, '/v2/me');
}

/**
 * Portkey's open-source gateway, started by its own script. Its stderr is dropped: its request
 * logger throws on every GET (it expects a body) and prints the stack, though the GET succeeds.
 */
export async function startPortkey(): Promise<Service> {
  const port = await freePort();
  const script = 'node_modules/@portkey-ai/gateway/build/start-server.js';
  const child = start(process.execPath, [script, `--port=${port}`, '--headless'], { NODE_ENV: 'production' }, 'ignore');
  return service(child, `http://127.0.0.1:${port}`, '/');
}

/** Headers that make Portkey forward a request to the simulator as an OpenAI-style provider. */
export function portkeyHeaders(upstream: Service): Record<string, string> {
  return {
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': `${upstream.url}/v2`,
    'x-portkey-forward-headers': 'x-api-key',
    'x-api-key': UPSTREAM_KEY,
  };
}

/**
 * Our gateway in production mode: on Redis when `redisUrl` is given, else on the embedded store.
 * `nodeArgs` go to node itself (e.g. --cpu-prof).
 */
export async function startGateway(upstream: Service, redisUrl?: string, nodeArgs: string[] = []): Promise<Service> {
  const port = await freePort();
  const child = start(process.execPath, [...nodeArgs, 'dist/src/server.js'], {
    PORT: String(port),
    HOST: '127.0.0.1',
    APIFRAME_API_KEY: UPSTREAM_KEY,
    APIFRAME_BASE_URL: upstream.url,
    ADMIN_TOKEN,
    METRICS_TOKEN,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_GENERATE_PER_MINUTE: '0',
    RATE_LIMIT_READS_PER_MINUTE: '0',
    // The reconciler would poll the thousands of jobs the runs leave pending; it is off so that
    // the figures, and the Redis round-trip counts, are the request path's alone.
    RECONCILE_INTERVAL_MS: '3600000',
    NODE_ENV: 'production',
    ...(redisUrl ? { REDIS_URL: redisUrl } : { NODE_ENV: 'development' }),
  });
  return service(child, `http://127.0.0.1:${port}`, '/healthz');
}

/** A new team key on `gateway`, with no budget. */
export async function createTeamKey(gateway: Service): Promise<string> {
  const response = await fetch(`${gateway.url}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', team: 'bench' }),
  });
  return ((await response.json()) as { key: string }).key;
}

function findExecutable(name: string): string | null {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  return dirs.map((dir) => join(dir, name)).find((path) => existsSync(path)) ?? null;
}
