// The processes a benchmark measures, each a child process stopped when the run ends: the
// simulator, nginx, Portkey's gateway, the stack floor and ours (in its default configuration or
// with everything optional off).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/helpers/redis-server.js';

export const UPSTREAM_KEY = 'afk_bench_0123456789abcdef0123456789abcdef';
/** The one key the stack floor accepts. */
export const FLOOR_KEY = 'floor-key-0123456789';
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

/** The simulator, with jobs that finish after `jobMs` (at once by default) unless their prompt says otherwise. */
export async function startSimulator(jobMs = 0): Promise<Service> {
  const port = await freePort();
  const child = start(process.execPath, ['dist/scripts/simulator.js'], {
    SIM_PORT: String(port),
    SIM_API_KEY: UPSTREAM_KEY,
    SIM_JOB_MS: String(jobMs),
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
 * The gateway's default configuration, as a deployment runs it: rate limits on (the bench key
 * gets a limit it never reaches, `createTeamKey`), the reconciler every 5 s, metrics, load
 * shedding and catalogue prices on, logs at `info` (to stdout, which is /dev/null here).
 */
export const DEFAULTS: Record<string, string> = { LOG_LEVEL: 'info' };

/**
 * The gateway with everything optional off, as the bench measured it before: logs at `warn`, no
 * rate limits, and the reconciler (which polls the jobs the runs leave pending) all but stopped.
 */
export const ALL_OFF: Record<string, string> = {
  LOG_LEVEL: 'warn',
  RATE_LIMIT_GENERATE_PER_MINUTE: '0',
  RATE_LIMIT_READS_PER_MINUTE: '0',
  RECONCILE_INTERVAL_MS: '3600000',
};

export interface GatewayOptions {
  /** On Redis when given, else on the embedded store (in development mode, which it requires). */
  redisUrl?: string;
  /** DEFAULTS or ALL_OFF, and any other setting. */
  env: Record<string, string>;
  /** Arguments for node itself (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

/** Our gateway, in production mode on Redis unless `env` says otherwise. */
export async function startGateway(upstream: Service, options: GatewayOptions): Promise<Service> {
  const port = await freePort();
  const child = start(process.execPath, [...(options.nodeArgs ?? []), 'dist/src/server.js'], {
    PORT: String(port),
    HOST: '127.0.0.1',
    APIFRAME_API_KEY: UPSTREAM_KEY,
    APIFRAME_BASE_URL: upstream.url,
    ADMIN_TOKEN,
    METRICS_TOKEN,
    BENCH_WITHOUT: '',
    NODE_ENV: options.redisUrl ? 'production' : 'development',
    REDIS_URL: options.redisUrl ?? '',
    ...options.env,
  });
  return service(child, `http://127.0.0.1:${port}`, '/healthz');
}

/** Requests per minute a bench key may make: more than any run sends (the admin API's maximum). */
const NEVER_REACHED = 1_000_000;

/**
 * A new team key on `gateway`, with no budget; `rateLimited` gives it a limit of its own that no
 * run reaches, so that a gateway with limits on counts every request without refusing any.
 */
export async function createTeamKey(gateway: Service, rateLimited: boolean): Promise<string> {
  const rateLimit = { generatePerMinute: NEVER_REACHED, readsPerMinute: NEVER_REACHED };
  const response = await fetch(`${gateway.url}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', team: 'bench', ...(rateLimited && { rateLimit }) }),
  });
  if (response.status !== 201) throw new Error(`key creation answered ${response.status} ${await response.text()}`);
  return ((await response.json()) as { key: string }).key;
}

/**
 * The stack floor (bench/floor.ts): Fastify, undici and ioredis doing only what keeps the two
 * money guarantees, on the same upstream and Redis.
 */
export async function startFloor(upstream: Service, redisUrl: string): Promise<Service> {
  const port = await freePort();
  const child = start(process.execPath, ['--import', 'tsx', 'bench/floor.ts'], {
    FLOOR_PORT: String(port),
    FLOOR_UPSTREAM: upstream.url,
    FLOOR_UPSTREAM_KEY: UPSTREAM_KEY,
    FLOOR_API_KEY: FLOOR_KEY,
    FLOOR_REDIS_URL: redisUrl,
  });
  return service(child, `http://127.0.0.1:${port}`, '/v2/jobs/none');
}

/** CPU seconds (user + system) `pid` has used so far, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ, 100 on every Linux that Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

function findExecutable(name: string): string | null {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  return dirs.map((dir) => join(dir, name)).find((path) => existsSync(path)) ?? null;
}
