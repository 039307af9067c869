// `npm run bench`: the gateway side by side with the simulator direct and with nginx as a plain
// reverse proxy, on this machine, in one run. Scenarios: generate, poll of a pending job, poll
// of a completed job, and a 1:20 generate:poll mix, at 1, 10 and 100 connections, measured with
// autocannon. Prints a table (and the gateway/nginx ratios and Redis round trips per request)
// and writes bench/RESULTS.md. A benchmark, not a test: nothing fails on a number.
// BENCH_SECONDS sets each run's length (5 by default).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { freePort, startRedis } from '../test/helpers/redis-server.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = [1, 10, 100];
const UPSTREAM_KEY = 'afk_bench_0123456789abcdef0123456789abcdef';
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const BODY = JSON.stringify({ prompt: 'a detailed architectural blueprint of a modern glass house', model: 'seedream-4', seedreamParams: { size: '4K', aspect_ratio: '16:9' } });
const children: ChildProcess[] = [];

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

function run(command: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

async function startGateway(port: number, simUrl: string, redisUrl?: string): Promise<string> {
  run(process.execPath, ['dist/src/server.js'], {
    PORT: String(port),
    HOST: '127.0.0.1',
    APIFRAME_API_KEY: UPSTREAM_KEY,
    APIFRAME_BASE_URL: simUrl,
    ADMIN_TOKEN,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_GENERATE_PER_MINUTE: '0',
    RATE_LIMIT_READS_PER_MINUTE: '0',
    // The reconciler would poll the thousands of jobs the runs leave pending; it is off so that
    // the figures, and the Redis round-trip counts, are the request path's alone.
    RECONCILE_INTERVAL_MS: '3600000',
    NODE_ENV: 'production',
    ...(redisUrl ? { REDIS_URL: redisUrl } : { NODE_ENV: 'development' }),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`);
  return url;
}

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  pendingJob: string;
  completedJob: string;
  redis?: Redis;
}

async function jobsFor(url: string, headers: Record<string, string>): Promise<{ pendingJob: string; completedJob: string }> {
  const submit = async (prompt: string) => {
    const response = await fetch(`${url}/v2/images/generate`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ ...JSON.parse(BODY), prompt }),
    });
    return ((await response.json()) as { jobId: string }).jobId;
  };
  const pendingJob = await submit('bench pending [sim:never]');
  const completedJob = await submit('bench completed');
  await fetch(`${url}/v2/jobs/${completedJob}`, { headers });
  return { pendingJob, completedJob };
}

async function teamKey(url: string): Promise<string> {
  const response = await fetch(`${url}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', team: 'bench' }),
  });
  return ((await response.json()) as { key: string }).key;
}

function scenario(target: Target, name: string): autocannon.Options['requests'] {
  const post = { method: 'POST' as const, path: '/v2/images/generate', headers: { ...target.headers, 'content-type': 'application/json' }, body: BODY };
  const poll = (job: string) => ({ method: 'GET' as const, path: `/v2/jobs/${job}`, headers: target.headers });
  if (name === 'generate') return [post];
  if (name === 'poll pending') return [poll(target.pendingJob)];
  if (name === 'poll completed') return [poll(target.completedJob)];
  return [post, ...Array.from({ length: 20 }, () => poll(target.completedJob))];
}

/**
 * Redis round trips the gateway makes per request in a scenario, counted with MONITOR over 200
 * sequential requests (a Lua script or a MULTI … EXEC block counts once), outside the timed
 * runs because MONITOR slows Redis down.
 */
async function redisCallsPerRequest(target: Target, name: string): Promise<number> {
  const monitor = await target.redis!.monitor();
  let calls = 0;
  let inTransaction = false;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === 'lua') return;
    const command = args[0]?.toLowerCase();
    // A MULTI … EXEC block travels as one round trip.
    if (command === 'multi') inTransaction = true;
    if (command === 'exec') inTransaction = false;
    if (!inTransaction || command === 'multi') calls += command === 'exec' ? 0 : 1;
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const requests = scenario(target, name)!;
  const count = 200;
  for (let i = 0; i < count; i++) {
    const request = requests[i % requests.length]!;
    await fetch(`${target.url}${request.path}`, { method: request.method, headers: request.headers as Record<string, string>, body: request.body as string | undefined }).then((r) => r.arrayBuffer());
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  monitor.disconnect();
  return calls / count;
}

interface Row {
  target: string;
  scenario: string;
  connections: number;
  rps: number;
  mean: number;
  p50: number;
  p99: number;
  p999: number;
  errors: number;
  redisPerRequest: number | null;
}

async function measure(target: Target, name: string, connections: number, redisPerRequest: number | null): Promise<Row> {
  const result = await autocannon({ url: target.url, connections, duration: SECONDS, requests: scenario(target, name) });
  return {
    target: target.name,
    scenario: name,
    connections,
    rps: Math.round(result.requests.average),
    mean: result.latency.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    p999: result.latency.p99_9,
    errors: result.errors + result.timeouts + result.non2xx,
    redisPerRequest,
  };
}

async function main(): Promise<void> {
  const redisServer = await startRedis();
  const simPort = await freePort();
  run(process.execPath, ['dist/scripts/simulator.js'], { SIM_PORT: String(simPort), SIM_API_KEY: UPSTREAM_KEY, SIM_JOB_MS: '0' });
  const simUrl = `http://127.0.0.1:${simPort}`;
  await waitForHttp(`${simUrl}/v2/me`);

  const targets: Target[] = [];
  const direct = { 'x-api-key': UPSTREAM_KEY };
  targets.push({ name: 'direct', url: simUrl, headers: direct, ...(await jobsFor(simUrl, direct)) });

  let nginxNote = '';
  const nginx = findExecutable('nginx');
  if (nginx) {
    const dir = mkdtempSync(join(tmpdir(), 'gw-nginx-'));
    const port = await freePort();
    const config = readFileSync('bench/nginx.conf', 'utf8')
      .replaceAll('{{PORT}}', String(port))
      .replaceAll('{{UPSTREAM}}', `127.0.0.1:${simPort}`)
      .replaceAll('{{KEY}}', UPSTREAM_KEY)
      .replaceAll('{{DIR}}', dir);
    writeFileSync(join(dir, 'nginx.conf'), config);
    run(nginx, ['-c', join(dir, 'nginx.conf'), '-p', dir, '-g', 'daemon off;'], {});
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/v2/me`);
    targets.push({ name: 'nginx', url, headers: {}, ...(await jobsFor(url, {})) });
  } else {
    nginxNote = 'nginx is not installed here (apt-get install nginx): its rows are missing.';
    process.stderr.write(`${nginxNote}\n`);
  }

  const memoryUrl = await startGateway(await freePort(), simUrl);
  const memoryHeaders = { 'x-api-key': await teamKey(memoryUrl) };
  targets.push({ name: 'gateway (memory)', url: memoryUrl, headers: memoryHeaders, ...(await jobsFor(memoryUrl, memoryHeaders)) });

  const redisUrl = await startGateway(await freePort(), simUrl, redisServer.url);
  const redisHeaders = { 'x-api-key': await teamKey(redisUrl) };
  const redisClient = new Redis(redisServer.url);
  targets.push({ name: 'gateway (redis)', url: redisUrl, headers: redisHeaders, redis: redisClient, ...(await jobsFor(redisUrl, redisHeaders)) });

  const rows: Row[] = [];
  for (const name of ['generate', 'poll pending', 'poll completed', 'mix 1:20']) {
    const calls = new Map(await Promise.all(targets.filter((t) => t.redis).map(async (t) => [t.name, await redisCallsPerRequest(t, name)] as const)));
    for (const connections of CONNECTIONS) {
      for (const target of targets) {
        const row = await measure(target, name, connections, calls.get(target.name) ?? null);
        rows.push(row);
        process.stderr.write(`${row.scenario.padEnd(15)} c=${String(connections).padEnd(4)} ${row.target.padEnd(17)} ${String(row.rps).padStart(7)} req/s  p50 ${row.p50} ms  p99 ${row.p99} ms\n`);
      }
    }
  }
  redisClient.disconnect();

  const table = [
    '| scenario | connections | target | req/s | p50 ms | p99 ms | p99.9 ms | errors | Redis round trips/request |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.connections} | ${r.target} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.p999} | ${r.errors} | ${r.redisPerRequest === null ? '' : r.redisPerRequest.toFixed(2)} |`,
    ),
  ].join('\n');
  const ratios = ['generate', 'poll pending', 'poll completed', 'mix 1:20'].flatMap((name) => {
    const find = (target: string) => rows.find((r) => r.scenario === name && r.connections === 100 && r.target === target);
    const gateway = find('gateway (redis)');
    const base = find('nginx');
    if (!gateway || !base) return [];
    return [`| ${name} | ${((gateway.rps / base.rps) * 100).toFixed(0)} % | ${(gateway.p99 / Math.max(base.p99, 1)).toFixed(1)}× |`];
  });
  const overhead = (() => {
    const pick = (target: string) => rows.find((r) => r.scenario === 'poll completed' && r.connections === 1 && r.target === target);
    const gateway = pick('gateway (redis)');
    const direct = pick('direct');
    return gateway && direct ? (gateway.mean - direct.mean).toFixed(2) : 'n/a';
  })();
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const report = [
    '# Benchmark results',
    '',
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${machine}. Everything (autocannon, the simulator, nginx,`,
    `both gateways and redis-server) shares these cores, so absolute figures are low and ratios matter. ${SECONDS} s per run.`,
    nginxNote,
    '',
    '## Gateway (Redis) against nginx at 100 connections',
    '',
    '| scenario | gateway req/s as a share of nginx | gateway p99 / nginx p99 |',
    '| --- | --- | --- |',
    ...ratios,
    '',
    `Latency the gateway (Redis) adds over going direct at 1 connection, polling a completed job (mean; autocannon's percentiles are whole ms): ${overhead} ms.`,
    '',
    '## All runs',
    '',
    table,
    '',
    "Not measured yet: Portkey's open-source gateway, and the 10,000-poller scale run (see the README's performance section).",
    '',
  ].join('\n');
  writeFileSync('bench/RESULTS.md', report);
  process.stdout.write(`${report}\n`);
  await redisServer.destroy();
}

function findExecutable(name: string): string | null {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  return dirs.map((dir) => join(dir, name)).find((path) => existsSync(path)) ?? null;
}

try {
  await main();
} finally {
  for (const child of children) child.kill('SIGTERM');
}
