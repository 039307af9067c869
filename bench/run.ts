// `npm run bench`: the gateway side by side with the simulator direct, nginx as a plain reverse
// proxy, Portkey's open-source gateway and the stack floor (bench/floor.ts), on this machine, in
// one run. The gateway runs twice on Redis: in its default configuration, and with everything
// optional off. Scenarios: generate, poll of a pending job, poll of a completed job, and a 1:20
// generate:poll mix, at 1, 10 and 100 connections, measured with autocannon; then what a
// generate costs when a replica must acknowledge, how late clients see jobs finish
// (bench/freshness.ts), the cost table (bench/cost.ts) and the 10,000-poller scale run
// (bench/scale.ts). Prints the report and writes bench/RESULTS.md.
// A benchmark, not a test: nothing fails on a number.
// BENCH_SECONDS sets each run's length (5 by default), BENCH_COST_SECONDS the cost table's (as
// BENCH_SECONDS; 0 leaves the table out), BENCH_SCALE_CLIENTS the scale run's clients,
// BENCH_SCALE_SECONDS its length (15), BENCH_FRESHNESS_JOBS the freshness run's jobs per case (3;
// 0 leaves it out), BENCH_RESULTS where the report goes (bench/RESULTS.md).
import { writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { startReplicatedRedis } from '../test/helpers/redis-replicated.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { costTable } from './cost.js';
import { type FreshnessCase, freshnessRun, JOB_MS } from './freshness.js';
import {
  ALL_OFF,
  createTeamKey,
  DEFAULTS,
  FLOOR_KEY,
  portkeyHeaders,
  type Service,
  startFloor,
  startGateway,
  startNginx,
  startPortkey,
  startSimulator,
  stopAll,
  UPSTREAM_KEY,
} from './processes.js';
import { redisCallsPerRequest } from './redis-calls.js';
import { ALL_OFF_GATEWAY, DEFAULT_GATEWAY, REPLICATED_GATEWAY, renderReport, type Row } from './report.js';
import { scaleRun, type ScaleResult } from './scale.js';
import { scenario, SCENARIOS, target, type Scenario, type Target } from './scenarios.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const COST_SECONDS = Number(process.env.BENCH_COST_SECONDS ?? SECONDS);
const SCALE_CLIENTS = Number(process.env.BENCH_SCALE_CLIENTS ?? 10_000);
const SCALE_SECONDS = Number(process.env.BENCH_SCALE_SECONDS ?? 15);
const FRESHNESS_JOBS = Number(process.env.BENCH_FRESHNESS_JOBS ?? 3);
const RESULTS = process.env.BENCH_RESULTS ?? 'bench/RESULTS.md';
const CONNECTIONS = [1, 10, 100];

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

/**
 * Generate on the default gateway whose Redis has one replica on loopback: REDIS_MIN_REPLICAS
 * unset becomes 1, and every money script waits for the replica's acknowledgement (WAIT).
 */
async function replicatedRows(sim: Service): Promise<Row[]> {
  const replicated = await startReplicatedRedis({ replicas: 1 });
  const gateway = await startGateway(sim, { redisUrl: replicated.url, env: DEFAULTS });
  const key = await createTeamKey(gateway, true);
  const t = await target(REPLICATED_GATEWAY, gateway, { 'x-api-key': key });
  const rows = [await measure(t, 'generate', 1, null), await measure(t, 'generate', 100, null)];
  gateway.stop();
  await gateway.exited;
  await replicated.destroy();
  return rows;
}

async function main(): Promise<void> {
  const redisServer = await startRedis();
  const redis = new Redis(redisServer.url);
  const sim = await startSimulator();
  const targets: Target[] = [await target('direct', sim, { 'x-api-key': UPSTREAM_KEY })];
  const notes: string[] = [];

  const nginx = await startNginx(sim);
  if (nginx) targets.push(await target('nginx', nginx, {}));
  else notes.push('nginx is not installed here (apt-get install nginx): its rows are missing.');

  // Portkey forwards the caller's X-API-Key (it has no Apiframe provider to inject one).
  targets.push(await target('portkey', await startPortkey(), portkeyHeaders(sim), '/v1'));

  const floor = await startFloor(sim, redisServer.url);
  targets.push(await target('floor', floor, { 'x-api-key': FLOOR_KEY }, '/v2', redis));

  const defaults = await startGateway(sim, { redisUrl: redisServer.url, env: DEFAULTS });
  const allOff = await startGateway(sim, { redisUrl: redisServer.url, env: ALL_OFF });
  const memory = await startGateway(sim, { env: ALL_OFF });
  targets.push(
    await target(DEFAULT_GATEWAY, defaults, { 'x-api-key': await createTeamKey(defaults, true) }, '/v2', redis),
  );
  targets.push(
    await target(ALL_OFF_GATEWAY, allOff, { 'x-api-key': await createTeamKey(allOff, false) }, '/v2', redis),
  );
  targets.push(await target('gateway (memory, all off)', memory, { 'x-api-key': await createTeamKey(memory, false) }));

  const rows: Row[] = [];
  for (const name of SCENARIOS) {
    const calls = new Map<string, number>();
    for (const t of targets.filter((t) => t.redis)) calls.set(t.name, await redisCallsPerRequest(t, name));
    for (const connections of CONNECTIONS) {
      for (const t of targets) {
        const row = await measure(t, name, connections, calls.get(t.name) ?? null);
        rows.push(row);
        process.stderr.write(
          `${row.scenario.padEnd(15)} c=${String(connections).padEnd(4)} ${row.target.padEnd(26)} ${String(row.rps).padStart(7)} req/s  p50 ${row.p50} ms  p99 ${row.p99} ms\n`,
        );
      }
    }
  }
  for (const service of [floor, defaults, allOff, memory]) {
    service.stop();
    await service.exited;
  }
  rows.push(...(await replicatedRows(sim)));

  let freshness: FreshnessCase[] | null = null;
  if (FRESHNESS_JOBS > 0) {
    const finishingSim = await startSimulator(JOB_MS);
    freshness = await freshnessRun(finishingSim, redisServer.url, FRESHNESS_JOBS);
    finishingSim.stop();
    await finishingSim.exited;
  }

  const cost = COST_SECONDS > 0 ? await costTable(sim, redisServer.url, redis, COST_SECONDS) : null;
  redis.disconnect();

  const scale: ScaleResult[] = [];
  for (const mode of ['paced', 'flat out'] as const) {
    scale.push(await scaleRun(mode, sim, redisServer.url, SCALE_CLIENTS, SCALE_SECONDS));
    process.stderr.write(`scale run (${mode}): ${JSON.stringify(scale.at(-1))}\n`);
  }

  const report = renderReport({
    rows,
    freshness,
    scale,
    cost,
    notes,
    seconds: SECONDS,
    scaleClients: SCALE_CLIENTS,
  });
  writeFileSync(RESULTS, report);
  process.stdout.write(`${report}\n`);
  await redisServer.destroy();
}

try {
  await main();
} finally {
  stopAll();
}
