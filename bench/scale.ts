// The scale run: 10,000 clients polling pending jobs through one gateway process (on Redis, in its
// default configuration: rate limits on) in front of a slow simulator. Reports the gateway's peak RSS and its event-loop delay, twice:
// - paced: every client polls its job every POLL_INTERVAL_MS on a connection of its own, as the
//   Apiframe docs advise. autocannon cannot pace this: its rate is whole requests per second per
//   connection, and it opens no more connections than its overall rate, so these clients are
//   undici Clients on a timer.
// - flat out (autocannon): every connection has a poll in flight at all times; the gateway is
//   saturated, so this shows how it degrades (it sheds load with 503s) rather than how it runs.
import { readFileSync } from 'node:fs';
import { createHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import pLimit from 'p-limit';
import { Client } from 'undici';
import { DEFAULTS, METRICS_TOKEN, createTeamKey, startGateway, type Service } from './processes.js';

const POLL_INTERVAL_MS = 2_500;
const CLIENTS_PER_JOB = 20;
/** How long the simulator takes to answer each submission and each poll. */
const UPSTREAM_LATENCY_MS = 250;

export interface ScaleResult {
  mode: 'paced' | 'flat out';
  clients: number;
  jobs: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** The first poll of each client, which also opens its connection (paced only). */
  firstPollP99: number | null;
  /** Polls answered 503 by load shedding. */
  shed: number;
  /** Any other failure. */
  errors: number;
  peakRssMiB: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  upstreamPolls: number;
}

interface Load {
  requests: number;
  shed: number;
  errors: number;
  p50: number;
  p99: number;
  firstPollP99: number | null;
}

export async function scaleRun(
  mode: ScaleResult['mode'],
  upstream: Service,
  redisUrl: string,
  clients: number,
  seconds: number,
): Promise<ScaleResult> {
  const gateway = await startGateway(upstream, { redisUrl, env: DEFAULTS });
  try {
    const headers = { 'x-api-key': await createTeamKey(gateway, true) };
    const jobs = await submitPendingJobs(gateway, headers, Math.ceil(clients / CLIENTS_PER_JOB));
    await metricsOf(gateway); // starts the event-loop delay histogram afresh
    const rss = sampleRss(gateway.pid);
    const load = await (mode === 'paced' ? pacedPollers : flatOut)(gateway, headers, jobs, clients, seconds);
    const peakRssMiB = rss.stop();
    const metrics = await metricsOf(gateway);
    return {
      mode,
      clients,
      jobs: jobs.length,
      seconds,
      rps: Math.round(load.requests / seconds),
      p50: load.p50,
      p99: load.p99,
      firstPollP99: load.firstPollP99,
      shed: load.shed,
      errors: load.errors,
      peakRssMiB,
      eventLoopDelayP99Ms: metricValue(metrics, 'nodejs_eventloop_lag_p99_seconds') * 1000,
      eventLoopDelayMaxMs: metricValue(metrics, 'nodejs_eventloop_lag_max_seconds') * 1000,
      upstreamPolls: metricSum(metrics, 'upstream_request_duration_seconds_count', 'operation="get_job"'),
    };
  } finally {
    gateway.stop();
  }
}

/**
 * Client i polls job i / CLIENTS_PER_JOB every POLL_INTERVAL_MS, starting at a random moment.
 * Latencies of first polls, which include connecting, are kept apart from the rest.
 */
async function pacedPollers(
  gateway: Service,
  headers: Record<string, string>,
  jobs: string[],
  clients: number,
  seconds: number,
): Promise<Load> {
  const latencyMicros = createHistogram();
  const firstPollMicros = createHistogram();
  let requests = 0;
  let shed = 0;
  let errors = 0;
  const stopAt = performance.now() + seconds * 1000;
  const poller = async (i: number) => {
    const client = new Client(gateway.url, { keepAliveTimeout: 2 * POLL_INTERVAL_MS });
    const path = `/v2/jobs/${jobs[Math.floor(i / CLIENTS_PER_JOB)]}`;
    await sleep(Math.random() * POLL_INTERVAL_MS);
    let first = true;
    while (performance.now() < stopAt) {
      const started = performance.now();
      try {
        const response = await client.request({ method: 'GET', path, headers });
        await response.body.dump();
        if (response.statusCode === 503) shed++;
        else if (response.statusCode !== 200) errors++;
      } catch {
        errors++;
      }
      const elapsed = performance.now() - started;
      (first ? firstPollMicros : latencyMicros).record(Math.max(1, Math.round(elapsed * 1000)));
      first = false;
      requests++;
      await sleep(Math.max(0, POLL_INTERVAL_MS - elapsed));
    }
    await client.close();
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => poller(i)));
  const ms = (histogram: typeof latencyMicros, percentile: number) => histogram.percentile(percentile) / 1000;
  return {
    requests,
    shed,
    errors,
    p50: ms(latencyMicros, 50),
    p99: ms(latencyMicros, 99),
    firstPollP99: ms(firstPollMicros, 99),
  };
}

async function flatOut(
  gateway: Service,
  headers: Record<string, string>,
  jobs: string[],
  clients: number,
  seconds: number,
): Promise<Load> {
  let nextClient = 0;
  const result = await autocannon({
    url: gateway.url,
    connections: clients,
    duration: seconds,
    timeout: 30,
    requests: [
      {
        method: 'GET',
        headers,
        setupRequest: (request, context: { job?: string }) => {
          context.job ??= jobs[Math.floor(nextClient++ / CLIENTS_PER_JOB) % jobs.length];
          return { ...request, path: `/v2/jobs/${context.job}` };
        },
      },
    ],
  });
  const shed = (result.statusCodeStats as Record<string, { count: number }> | undefined)?.['503']?.count ?? 0;
  return {
    requests: result.requests.total,
    shed,
    errors: result.errors + result.timeouts + result.non2xx - shed,
    p50: result.latency.p50,
    p99: result.latency.p99,
    firstPollP99: null,
  };
}

async function submitPendingJobs(gateway: Service, headers: Record<string, string>, count: number): Promise<string[]> {
  const limit = pLimit(50);
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      limit(async () => {
        const response = await fetch(`${gateway.url}/v2/images/generate`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({
            prompt: `scale run ${i} [sim:never] [sim:latency=${UPSTREAM_LATENCY_MS}]`,
            model: 'seedream-4',
          }),
        });
        if (response.status !== 202) throw new Error(`scale run: submission answered ${response.status}`);
        return ((await response.json()) as { jobId: string }).jobId;
      }),
    ),
  );
}

/** Samples the process's resident set every 100 ms; `stop` returns the peak in MiB. */
function sampleRss(pid: number): { stop(): number } {
  let peakKiB = 0;
  const sample = () => {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    peakKiB = Math.max(peakKiB, Number(match?.[1] ?? 0));
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return Math.round(peakKiB / 1024);
    },
  };
}

/** The gateway's metrics, once it answers again (a saturated gateway sheds requests with 503). */
async function metricsOf(gateway: Service): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    if (response.ok || attempt === 100) return response.text();
    await sleep(300);
  }
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`apiframe_gateway_${name} `));
  return Number(line?.split(' ')[1] ?? NaN);
}

function metricSum(text: string, name: string, label: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`apiframe_gateway_${name}{`) && l.includes(label))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}
