// The report `npm run bench` prints and writes to bench/RESULTS.md, from the runs' figures.
import { cpus, totalmem } from 'node:os';
import type { CostTable } from './cost.js';
import { type FreshnessCase, freshnessSection } from './freshness.js';
import type { ScaleResult } from './scale.js';
import { SCENARIOS, type Scenario } from './scenarios.js';

export const DEFAULT_GATEWAY = 'gateway (default)';
export const ALL_OFF_GATEWAY = 'gateway (all off)';
/** The default gateway on a Redis with one replica: every money script waits for its acknowledgement. */
export const REPLICATED_GATEWAY = 'gateway (default, 1 replica)';
const GATEWAYS = [DEFAULT_GATEWAY, ALL_OFF_GATEWAY];

export interface Row {
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

export interface Report {
  rows: Row[];
  freshness: FreshnessCase[] | null;
  scale: ScaleResult[];
  cost: CostTable | null;
  notes: string[];
  seconds: number;
  scaleClients: number;
}

const share = (value: number, base: number | undefined) => (base ? `${((value / base) * 100).toFixed(0)} %` : 'n/a');
const times = (value: number, base: number | undefined) =>
  base === undefined ? 'n/a' : `${(value / Math.max(base, 1)).toFixed(1)}×`;

function against(rows: Row[]): string[] {
  const find = (name: Scenario, connections: number, target: string) =>
    rows.find((r) => r.scenario === name && r.connections === connections && r.target === target);
  return SCENARIOS.flatMap((name) =>
    GATEWAYS.map((gatewayName) => {
      const gateway = find(name, 100, gatewayName)!;
      const [nginx, floor, portkey] = ['nginx', 'floor', 'portkey'].map((t) => find(name, 100, t));
      return (
        `| ${name} | ${gatewayName} | ${gateway.rps} | ${share(gateway.rps, nginx?.rps)} | ${share(gateway.rps, floor?.rps)} | ` +
        `${times(gateway.p99, nginx?.p99)} | ${times(gateway.p99, floor?.p99)} | ${times(gateway.rps, portkey?.rps)} |`
      );
    }),
  );
}

// At 1 connection requests go one at a time, so the mean latency is 1 s / requests per second
// (autocannon's percentiles are whole milliseconds, too coarse here).
function added(rows: Row[]): string[] {
  const meanMs = (name: Scenario, target: string) => {
    const row = rows.find((r) => r.scenario === name && r.connections === 1 && r.target === target);
    return row ? 1000 / Math.max(row.rps, 1) : undefined;
  };
  return SCENARIOS.map((name) => {
    const direct = meanMs(name, 'direct')!;
    const cells = ['floor', ...GATEWAYS].map((target) => {
      const ms = meanMs(name, target);
      return ms === undefined ? 'n/a | n/a' : `${ms.toFixed(2)} | +${(ms - direct).toFixed(2)}`;
    });
    return `| ${name} | ${direct.toFixed(2)} | ${cells.join(' | ')} |`;
  });
}

function replicationSection(rows: Row[]): string[] {
  const find = (target: string, connections: number) =>
    rows.find((r) => r.scenario === 'generate' && r.connections === connections && r.target === target);
  const line = (target: string) => {
    const [one, hundred] = [find(target, 1), find(target, 100)];
    if (!one || !hundred) return [];
    return [
      `| ${target} | ${(1000 / Math.max(one.rps, 1)).toFixed(2)} | ${hundred.rps} | ${hundred.p50} | ${hundred.p99} |`,
    ];
  };
  if (!find(REPLICATED_GATEWAY, 1)) return [];
  return [
    "## What a replica's acknowledgement costs (generate)",
    '',
    `"${REPLICATED_GATEWAY}": the default gateway on a Redis primary with one replica on loopback, so`,
    'REDIS_MIN_REPLICAS unset is 1 and each money script (reserve, attach) is followed by WAIT in the same pipeline:',
    "no extra round trip, but the answer waits for the replica's acknowledgement.",
    '',
    '| gateway | mean ms at 1 connection | req/s at 100 | p50 ms at 100 | p99 ms at 100 |',
    '| --- | --- | --- | --- | --- |',
    ...line(DEFAULT_GATEWAY),
    ...line(REPLICATED_GATEWAY),
    '',
  ];
}

function costSection(cost: CostTable | null): string[] {
  if (!cost) return [];
  const base = cost.rows[0]!;
  const cell = (c: CostTable['rows'][number]['generate'], b: typeof c) =>
    `${c.rps} | ${share(c.rps, b.rps)} | ${c.gatewayUs.toFixed(0)} | ${(b.gatewayUs - c.gatewayUs).toFixed(0)} | ` +
    `${c.redisUs.toFixed(0)} | ${c.scriptUs.toFixed(0)}`;
  return [
    `## What each feature costs (gateway on Redis, 100 connections, ${cost.seconds} s per run)`,
    '',
    'Each row is a fresh gateway in the default configuration with one feature switched off (BENCH_WITHOUT, or the',
    'setting named in the README); CPU µs are per request answered, the gateway process (/proc) and redis-server (INFO)',
    'apart, and of Redis\'s the time in Lua scripts (INFO commandstats); "saved" is the gateway CPU the first row spends',
    'and this one does not (negative: noise).',
    '',
    '| switched off | generate req/s | of default | gateway µs | saved µs | Redis µs | scripts µs | poll req/s | of default | gateway µs | saved µs | Redis µs | scripts µs |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...cost.rows.map((row) => `| ${row.off} | ${cell(row.generate, base.generate)} | ${cell(row.poll, base.poll)} |`),
    '',
    '### Redis time per generate, by script (default configuration, slow log recording every command)',
    '',
    "Scripts first: a script's time includes the commands it runs, which follow under their own names (with any",
    'sent alone), so the scripts alone add up to the time Redis spends on a generate besides reading and writing sockets.',
    '',
    '| script or command | calls per generate | µs per call | µs per generate |',
    '| --- | --- | --- | --- |',
    ...cost.scripts.map(
      (s) =>
        `| ${s.script ? `**${s.name}**` : s.name} | ${s.callsPerRequest.toFixed(2)} | ${s.usPerCall.toFixed(1)} | ${(s.callsPerRequest * s.usPerCall).toFixed(1)} |`,
    ),
    '',
  ];
}

export function renderReport({ rows, freshness, scale, cost, notes, seconds, scaleClients }: Report): string {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  return [
    '# Benchmark results',
    '',
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${machine}. Everything (autocannon, the simulator, nginx, Portkey,`,
    `the floor, the gateways and redis-server) shares these cores, so absolute figures are low and ratios matter. ${seconds} s per run.`,
    `"${DEFAULT_GATEWAY}": rate limits on, reconciler every 5 s, metrics, load shedding and catalogue prices on, logs at info`,
    `to /dev/null. "${ALL_OFF_GATEWAY}": no rate limits, reconciler off, logs at warn. Both on Redis.`,
    ...notes,
    '',
    '## At 100 connections, against nginx, the stack floor and Portkey',
    '',
    '| scenario | gateway | req/s | share of nginx | share of floor | p99 / nginx p99 | p99 / floor p99 | req/s / Portkey |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...against(rows),
    '',
    '## Latency at 1 connection (mean ms, one request at a time; added: over direct)',
    '',
    `| scenario | direct | floor | added | ${DEFAULT_GATEWAY} | added | ${ALL_OFF_GATEWAY} | added |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...added(rows),
    '',
    ...freshnessSection(freshness),
    ...replicationSection(rows),
    ...costSection(cost),
    `## Scale run: ${scaleClients.toLocaleString('en')} clients polling pending jobs through one gateway process (default configuration; the simulator answers polls in 250 ms)`,
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
