// `npm run bench:profile -- [scenario] [connections]`: loads a gateway on Redis in its default
// configuration (as bench/processes.ts DEFAULTS), started under
// `node --cpu-prof`, with one scenario (generate at 100 connections by default) and prints where
// its CPU time went: by package or file, and the functions with the most self time. The profile
// is kept in bench/profiles/ (open it in Chrome DevTools or speedscope.app for a flame graph).
// BENCH_SECONDS sets the load's length (10 by default).
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startRedis } from '../test/helpers/redis-server.js';
import { createTeamKey, DEFAULTS, startGateway, startSimulator, stopAll } from './processes.js';
import { scenario, SCENARIOS, target, type Scenario } from './scenarios.js';

const PROFILES = 'bench/profiles';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

/** Sample counts by where the sampled code lives and by function, idle time left out. */
function summarise(profile: CpuProfile): {
  total: number;
  byPlace: Map<string, number>;
  byFunction: Map<string, number>;
} {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const id of profile.samples) {
    const frame = nodes.get(id)!;
    if (frame.functionName === '(idle)') continue;
    total++;
    const place = placeOf(frame.url) || frame.functionName;
    byPlace.set(place, (byPlace.get(place) ?? 0) + 1);
    const name = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + 1);
  }
  return { total, byPlace, byFunction };
}

function shortUrl(url: string): string {
  return url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/dist\//, 'dist/');
}

/** The npm package (or our own file, or Node's internals) that a script URL belongs to. */
function placeOf(url: string): string {
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inPackage) return inPackage[1]!;
  if (url.startsWith('node:')) return 'node internals';
  return shortUrl(url);
}

function top(counts: Map<string, number>, total: number, limit: number): string {
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, count]) => `${((count / total) * 100).toFixed(1).padStart(5)} %  ${name}`)
    .join('\n');
}

async function main(): Promise<void> {
  const name = (process.argv[2] ?? 'generate') as Scenario;
  if (!SCENARIOS.includes(name)) throw new Error(`scenario must be one of: ${SCENARIOS.join(', ')}`);
  const connections = Number(process.argv[3] ?? 100);
  const dir = join(PROFILES, `${name.replaceAll(/[^a-z0-9]+/g, '-')}-${connections}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });

  const redis = await startRedis();
  try {
    const sim = await startSimulator();
    const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
    const gateway = await startGateway(sim, { redisUrl: redis.url, env: DEFAULTS, nodeArgs });
    const subject = await target('gateway (default)', gateway, { 'x-api-key': await createTeamKey(gateway, true) });
    const result = await autocannon({
      url: gateway.url,
      connections,
      duration: SECONDS,
      requests: scenario(subject, name),
    });
    gateway.stop();
    await gateway.exited;

    const file = readdirSync(dir).find((entry) => entry.endsWith('.cpuprofile'))!;
    const { total, byPlace, byFunction } = summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile);
    process.stdout.write(
      [
        `${name} at ${connections} connections: ${Math.round(result.requests.average)} req/s under the profiler`,
        `profile: ${join(dir, file)} (${total} busy samples, start-up included)`,
        '',
        'Busy time by package or file:',
        top(byPlace, total, 15),
        '',
        'Functions with the most self time:',
        top(byFunction, total, 25),
        '',
      ].join('\n'),
    );
  } finally {
    stopAll();
    await redis.destroy();
  }
}

await main();
