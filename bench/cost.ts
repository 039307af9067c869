// The cost table: the gateway (on Redis, default configuration) measured on generate and on polls
// of a completed job, at 100 connections, with each optional feature switched off in turn, so
// that each row's difference from the first is what that feature costs. Each row is a fresh
// gateway on an emptied Redis, in development mode because BENCH_WITHOUT is refused in production
// (which changes nothing else). CPU per request is the gateway process's user + system time
// (/proc) and redis-server's (INFO) over the run, divided by the requests answered; the
// simulator's and autocannon's are not counted.
import autocannon from 'autocannon';
import type { Redis } from 'ioredis';
import { cpuSecondsOf, createTeamKey, DEFAULTS, type Service, startGateway } from './processes.js';
import { redisUsage, type ScriptTime, scriptTimes, usageBetween } from './redis-cpu.js';
import { scenario, type Scenario, target, type Target } from './scenarios.js';

interface Variant {
  /** The feature switched off (the first row: none). */
  off: string;
  env: Record<string, string>;
  /** Whether the bench key carries a rate limit of its own (which turns limits on for it). */
  rateLimited: boolean;
}

const NO_RATE_LIMITS = { RATE_LIMIT_GENERATE_PER_MINUTE: '0', RATE_LIMIT_READS_PER_MINUTE: '0' };
const EACH: Variant[] = [
  { off: 'validation', env: { BENCH_WITHOUT: 'validation' }, rateLimited: true },
  { off: 'metrics', env: { BENCH_WITHOUT: 'metrics' }, rateLimited: true },
  { off: 'rate limits', env: NO_RATE_LIMITS, rateLimited: false },
  { off: 'ledger and aggregate writes', env: { BENCH_WITHOUT: 'ledger' }, rateLimited: true },
  { off: 'logging', env: { LOG_LEVEL: 'silent' }, rateLimited: true },
  { off: 'CORS', env: { BENCH_WITHOUT: 'cors' }, rateLimited: true },
  { off: 'load shedding', env: { MAX_EVENT_LOOP_DELAY_MS: '0' }, rateLimited: true },
  { off: 'reconciler', env: { RECONCILE_INTERVAL_MS: '3600000' }, rateLimited: true },
];
export const VARIANTS: Variant[] = [
  { off: 'nothing (default configuration)', env: {}, rateLimited: true },
  ...EACH,
  {
    off: 'all of the above',
    env: Object.assign({}, ...EACH.map((variant) => variant.env), { BENCH_WITHOUT: 'validation,metrics,ledger,cors' }),
    rateLimited: false,
  },
];

export interface Cost {
  rps: number;
  p99: number;
  /** Gateway CPU microseconds per request answered. */
  gatewayUs: number;
  /** redis-server CPU microseconds per request answered. */
  redisUs: number;
  /** Of which running Lua scripts (INFO commandstats: EVALSHA and EVAL). */
  scriptUs: number;
  errors: number;
}

export interface CostRow {
  off: string;
  generate: Cost;
  poll: Cost;
}

export interface CostTable {
  rows: CostRow[];
  /** Redis time per generate by script, in the default configuration (slow log). */
  scripts: ScriptTime[];
  seconds: number;
}

/** One timed run of `name` at 100 connections, with the CPU both processes spent on it. */
async function costOf(gateway: Service, subject: Target, name: Scenario, redis: Redis, seconds: number) {
  const [cpuBefore, redisBefore] = [cpuSecondsOf(gateway.pid), await redisUsage(redis)];
  const result = await autocannon({
    url: subject.url,
    connections: 100,
    duration: seconds,
    requests: scenario(subject, name),
  });
  const [cpuAfter, redisAfter] = [cpuSecondsOf(gateway.pid), await redisUsage(redis)];
  const answered = Math.max(result.requests.total, 1);
  const { cpuSeconds, commands } = usageBetween(redisBefore, redisAfter);
  const scriptUsec = ['evalsha', 'eval'].reduce((sum, name) => sum + (commands.get(name)?.usec ?? 0), 0);
  return {
    rps: Math.round(result.requests.average),
    p99: result.latency.p99,
    gatewayUs: ((cpuAfter - cpuBefore) * 1e6) / answered,
    redisUs: (cpuSeconds * 1e6) / answered,
    scriptUs: scriptUsec / answered,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

/** Runs both scenarios a little first, so that what is measured is compiled code, not the JIT's work. */
async function warmUp(subject: Target): Promise<void> {
  for (const name of ['generate', 'poll completed'] as const) {
    await autocannon({ url: subject.url, connections: 20, amount: 3_000, requests: scenario(subject, name) });
  }
}

/** 1,000 generates, 10 at a time, with the slow log timing every script they run. */
async function generateScripts(subject: Target, redis: Redis): Promise<ScriptTime[]> {
  const requests = 1_000;
  return scriptTimes(redis, requests, async () => {
    await autocannon({ url: subject.url, connections: 10, amount: requests, requests: scenario(subject, 'generate') });
  });
}

export async function costTable(
  upstream: Service,
  redisUrl: string,
  redis: Redis,
  seconds: number,
): Promise<CostTable> {
  const rows: CostRow[] = [];
  let scripts: ScriptTime[] = [];
  for (const variant of VARIANTS) {
    await redis.flushall();
    const gateway = await startGateway(upstream, {
      redisUrl,
      env: { ...DEFAULTS, NODE_ENV: 'development', ...variant.env },
    });
    const key = await createTeamKey(gateway, variant.rateLimited);
    const subject = await target(`without ${variant.off}`, gateway, { 'x-api-key': key });
    await warmUp(subject);
    if (rows.length === 0) scripts = await generateScripts(subject, redis);
    const generate = await costOf(gateway, subject, 'generate', redis, seconds);
    const poll = await costOf(gateway, subject, 'poll completed', redis, seconds);
    rows.push({ off: variant.off, generate, poll });
    process.stderr.write(
      `cost without ${variant.off.padEnd(32)} generate ${generate.rps} req/s ${generate.gatewayUs.toFixed(0)} µs` +
        `  poll ${poll.rps} req/s ${poll.gatewayUs.toFixed(0)} µs\n`,
    );
    gateway.stop();
    await gateway.exited;
  }
  return { rows, scripts, seconds };
}
