// `npm run bench`: the gateway side by side with the simulator direct, nginx as a plain reverse
// proxy and Portkey's open-source gateway, on this machine, in one run. Scenarios: generate,
// poll of a pending job, poll of a completed job, and a 1:20 generate:poll mix, at 1, 10 and 100
// connections, measured with autocannon; then the 10,000-poller scale run (bench/scale.ts).
// Prints the tables and writes bench/RESULTS.md. A benchmark, not a test: nothing fails on a number.
// BENCH_SECONDS sets each run's length (5 by default), BENCH_SCALE_CLIENTS the scale run's clients,
// BENCH_SCALE_SECONDS its length (15), BENCH_RESULTS where the report goes (bench/RESULTS.md).
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { startRedis } from '../test/helpers/redis-server.js';
import {
  createTeamKey,
  portkeyHeaders,
  startGateway,
  startNginx,
  startPortkey,
  startSimulator,
  stopAll,
  UPSTREAM_KEY,
} from './processes.js';
import { scaleRun, type ScaleResult } from './scale.js';
import { scenario, SCENARIOS, target, type Scenario, type Target } from './scenarios.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const SCALE_CLIENTS = Number(process.env.BENCH_SCALE_CLIENTS ?? 10_000);
const SCALE_SECONDS = Number(process.env.BENCH_SCALE_SECONDS ?? 15);
const RESULTS = process.env.BENCH_RESULTS ?? 'bench/RESULTS.md';
const CONNECTIONS = [1, 10, 100];

/**
 * Redis round trips the gateway makes per request in a scenario, counted with MONITOR over 200
 * sequential requests (a Lua script or a MULTI … EXEC block counts once), outside the timed
 * runs because MONITOR slows Redis down. INFO commandstats cannot tell these apart: it also
 * counts every command a script runs. Counting starts once Redis has been quiet for a while (the
 * instances' heartbeats aside), so that requests still draining from the previous run are not
 * charged to this scenario.
 */
async function redisCallsPerRequest(target: Target, name: Scenario): Promise<number> {
  const monitor = await target.redis!.monitor();
  let calls = 0;
  let lastCommandAt = Date.now();
  let inTransaction = false;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === 'lua' || isHeartbeat(args)) return;
    lastCommandAt = Date.now();
    const command = args[0]?.toLowerCase();
    // A MULTI … EXEC block travels as one round trip.
    if (command === 'multi') inTransaction = true;
    if (command === 'exec') inTransaction = false;
    if (!inTransaction || command === 'multi') calls += command === 'exec' ? 0 : 1;
  });
  await untilQuiet(() => lastCommandAt);
  calls = 0;
  const requests = scenario(target, name);
  const count = 200;
  for (let i = 0; i < count; i++) {
    const request = requests[i % requests.length]!;
    await fetch(`${target.url}${request.path}`, {
      method: request.method,
      headers: request.headers as Record<string, string>,
      body: request.body as string | undefined,
    }).then((r) => r.arrayBuffer());
  }
  await untilQuiet(() => lastCommandAt);
  monitor.disconnect();
  return calls / count;
}

/**
 * Every instance beats on the change channel five times a second (a script on the change
 * counter's key), whatever the load: not a round trip of any request, and never quiet.
 */
function isHeartbeat(args: string[]): boolean {
  return args[0]?.toLowerCase() === 'evalsha' && args[2] === '1' && (args[3]?.endsWith(':changes') ?? false);
}

/** Resolves once nothing has happened for 300 ms (by `lastEventAt`), or after 30 s. */
async function untilQuiet(lastEventAt: () => number): Promise<void> {
  const giveUpAt = Date.now() + 30_000;
  while (Date.now() - lastEventAt() < 300 && Date.now() < giveUpAt)
    await new Promise((resolve) => setTimeout(resolve, 50));
}

interface Row {
  target: string;
  scenario: Scenario;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  errors: number;
  redisPerRequest: number | null;
}

async function measure(
  target: Target,
  name: Scenario,
  connections: number,
  redisPerRequest: number | null,
): Promise<Row> {
  const result = await autocannon({
    url: target.url,
    connections,
    duration: SECONDS,
    requests: scenario(target, name),
  });
  return {
    target: target.name,
    scenario: name,
    connections,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    p999: result.latency.p99_9,
    errors: result.errors + result.timeouts + result.non2xx,
    redisPerRequest,
  };
}

async function main(): Promise<void> {
  const redisServer = await startRedis();
  const sim = await startSimulator();
  const targets: Target[] = [await target('direct', sim, { 'x-api-key': UPSTREAM_KEY })];
  const notes: string[] = [];

  const nginx = await startNginx(sim);
  if (nginx) targets.push(await target('nginx', nginx, {}));
  else notes.push('nginx is not installed here (apt-get install nginx): its rows are missing.');

  // Portkey forwards the caller's X-API-Key (it has no Apiframe provider to inject one).
  targets.push(await target('portkey', await startPortkey(), portkeyHeaders(sim), '/v1'));

  const memory = await startGateway(sim);
  targets.push(await target('gateway (memory)', memory, { 'x-api-key': await createTeamKey(memory) }));

  const onRedis = await startGateway(sim, redisServer.url);
  const redisClient = new Redis(redisServer.url);
  targets.push(
    await target('gateway (redis)', onRedis, { 'x-api-key': await createTeamKey(onRedis) }, '/v2', redisClient),
  );

  const rows: Row[] = [];
  for (const name of SCENARIOS) {
    const calls = await redisCallsPerRequest(targets.find((t) => t.redis)!, name);
    for (const connections of CONNECTIONS) {
      for (const t of targets) {
        const row = await measure(t, name, connections, t.redis ? calls : null);
        rows.push(row);
        process.stderr.write(
          `${row.scenario.padEnd(15)} c=${String(connections).padEnd(4)} ${row.target.padEnd(17)} ${String(row.rps).padStart(7)} req/s  p50 ${row.p50} ms  p99 ${row.p99} ms\n`,
        );
      }
    }
  }
  redisClient.disconnect();
  memory.stop();
  onRedis.stop();

  const scale: ScaleResult[] = [];
  for (const mode of ['paced', 'flat out'] as const) {
    scale.push(await scaleRun(mode, sim, redisServer.url, SCALE_CLIENTS, SCALE_SECONDS));
    process.stderr.write(`scale run (${mode}): ${JSON.stringify(scale.at(-1))}\n`);
  }

  const report = renderReport(rows, scale, notes);
  writeFileSync(RESULTS, report);
  process.stdout.write(`${report}\n`);
  await redisServer.destroy();
}

function renderReport(rows: Row[], scale: ScaleResult[], notes: string[]): string {
  const find = (name: Scenario, connections: number, target: string) =>
    rows.find((r) => r.scenario === name && r.connections === connections && r.target === target);
  const ratios = SCENARIOS.map((name) => {
    const gateway = find(name, 100, 'gateway (redis)')!;
    const nginx = find(name, 100, 'nginx');
    const portkey = find(name, 100, 'portkey')!;
    const share = nginx ? `${((gateway.rps / nginx.rps) * 100).toFixed(0)} %` : 'n/a';
    const p99 = nginx ? `${(gateway.p99 / Math.max(nginx.p99, 1)).toFixed(1)}×` : 'n/a';
    return `| ${name} | ${share} | ${p99} | ${(gateway.rps / Math.max(portkey.rps, 1)).toFixed(1)}× |`;
  });
  // At 1 connection requests go one at a time, so the mean latency is 1 s / requests per second
  // (autocannon's percentiles are whole milliseconds, too coarse here).
  const added = SCENARIOS.map((name) => {
    const gateway = find(name, 1, 'gateway (redis)')!;
    const direct = find(name, 1, 'direct')!;
    return `| ${name} | ${(1000 / direct.rps).toFixed(2)} | ${(1000 / gateway.rps).toFixed(2)} | ${(1000 / gateway.rps - 1000 / direct.rps).toFixed(2)} |`;
  });
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  return [
    '# Benchmark results',
    '',
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${machine}. Everything (autocannon, the simulator, nginx, Portkey,`,
    `both gateways and redis-server) shares these cores, so absolute figures are low and ratios matter. ${SECONDS} s per run.`,
    ...notes,
    '',
    '## Gateway (Redis) at 100 connections, against nginx and Portkey',
    '',
    '| scenario | req/s as a share of nginx | p99 / nginx p99 | req/s / Portkey req/s |',
    '| --- | --- | --- | --- |',
    ...ratios,
    '',
    '## Latency added at 1 connection (mean ms, one request at a time)',
    '',
    '| scenario | direct | gateway (redis) | added |',
    '| --- | --- | --- | --- |',
    ...added,
    '',
    `## Scale run: ${SCALE_CLIENTS.toLocaleString('en')} clients polling pending jobs through one gateway process (Redis; the simulator answers polls in 250 ms)`,
    '',
    'Paced: each client polls its job every 2.5 s on a connection of its own; its first poll, which also connects, is counted apart.',
    'Flat out: autocannon, every connection always has a poll in flight.',
    '',
    '| mode | jobs | polls/s | p50 ms | p99 ms | first poll p99 ms | shed (503) | errors | gateway peak RSS MiB | event-loop delay p99 ms | max ms | upstream polls |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...scale.map(
      (s) =>
        `| ${s.mode} | ${s.jobs} | ${s.rps} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(1)} | ${s.firstPollP99?.toFixed(1) ?? ''} | ${s.shed} | ${s.errors} | ${s.peakRssMiB} | ${s.eventLoopDelayP99Ms.toFixed(1)} | ${s.eventLoopDelayMaxMs.toFixed(1)} | ${s.upstreamPolls} |`,
    ),
    '',
    '## All runs',
    '',
    '| scenario | connections | target | req/s | p50 ms | p99 ms | p99.9 ms | errors | Redis round trips/request |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.connections} | ${r.target} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.p999} | ${r.errors} | ${r.redisPerRequest === null ? '' : r.redisPerRequest.toFixed(2)} |`,
    ),
    '',
  ].join('\n');
}

try {
  await main();
} finally {
  stopAll();
}
