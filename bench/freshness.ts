// The freshness run: how late clients see a job finish. Each client polls its job every
// POLL_INTERVAL_MS, from a random moment within the first interval after the job was accepted,
// until a poll shows the job finished; its lateness runs from the instant the job finished at
// the simulator (the `completedAt` Apiframe reports: the simulator finishes every job JOB_MS after
// accepting it) to the answer of that poll. Measured for 1, 20 and 1,000 clients per job,
// directly against the simulator and through the gateway in its default configuration, the
// simulator answering every submission and poll in UPSTREAM_LATENCY_MS (the upstream round trip).
// Both targets get the same clients' moments, so "gateway − direct" is the gateway's doing.
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'undici';
import { createTeamKey, DEFAULTS, startGateway, UPSTREAM_KEY, type Service } from './processes.js';

export const CROWDS = [1, 20, 1_000];
export const POLL_INTERVAL_MS = 2_000;
/** How long the simulator the run starts takes to finish each job. */
export const JOB_MS = 3_000;
const UPSTREAM_LATENCY_MS = 250;
/** A client that has not seen its job finish this long after it did gives up (counted as missed). */
const GIVE_UP_MS = 15_000;
const PROMPT = `freshness [sim:latency=${UPSTREAM_LATENCY_MS}]`;

/** A poll's answer as a client saw it: when it came back, and the job's JSON. */
export interface SeenPoll {
  answeredAt: number;
  body: string;
}

export interface Spread {
  mean: number;
  p95: number;
  max: number;
}

export interface FreshnessCase {
  target: 'direct' | 'gateway';
  clientsPerJob: number;
  jobs: number;
  /** Lateness of each client, ms. */
  lateness: Spread;
  /** Mean time a poll took to be answered, ms. */
  pollMs: number;
  /** Clients that never saw their job finish, or whose polls failed. */
  missed: number;
}

const FINISHED = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/** When the job in `body` finished (ms since the epoch), or null while it has not. */
function finishedAt(body: string): number | null {
  const job = JSON.parse(body) as { status?: string; completedAt?: string | null };
  return job.status && FINISHED.has(job.status) && job.completedAt ? Date.parse(job.completedAt) : null;
}

/**
 * The lateness of the first poll in `polls` that shows the job finished: its answer time minus
 * the job's `completedAt`; null when none does.
 */
export function latenessOf(polls: SeenPoll[]): number | null {
  for (const poll of polls) {
    const at = finishedAt(poll.body);
    if (at !== null) return poll.answeredAt - at;
  }
  return null;
}

/** Mean, 95th percentile (nearest rank) and maximum of `values`, which must not be empty. */
export function spreadOf(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return { mean, p95: sorted[Math.ceil(0.95 * sorted.length) - 1]!, max: sorted.at(-1)! };
}

/** A reproducible stream of numbers in [0, 1) (mulberry32), so both targets get the same moments. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface Target {
  name: FreshnessCase['target'];
  url: string;
  headers: Record<string, string>;
}

/**
 * One client: polls the job on `client` every `intervalMs` from `firstPollAt` on (times from
 * Date.now()) until a poll shows it finished, or until `giveUpAt`. Returns the polls it saw.
 */
export async function pollUntilFinished(
  client: Client,
  path: string,
  headers: Record<string, string>,
  firstPollAt: number,
  intervalMs: number,
  giveUpAt: number,
): Promise<{ polls: SeenPoll[]; pollMs: number[] }> {
  const polls: SeenPoll[] = [];
  const pollMs: number[] = [];
  for (let due = firstPollAt; due < giveUpAt; due += intervalMs) {
    await sleep(Math.max(0, due - Date.now()));
    const sentAt = performance.now();
    const response = await client.request({ method: 'GET', path, headers });
    const body = await response.body.text();
    pollMs.push(performance.now() - sentAt);
    if (response.statusCode !== 200) throw new Error(`poll answered ${response.statusCode} ${body}`);
    polls.push({ answeredAt: Date.now(), body });
    if (finishedAt(body) !== null) break;
  }
  return { polls, pollMs };
}

async function submitJob(target: Target): Promise<{ jobId: string; acceptedAt: number }> {
  const response = await fetch(`${target.url}/v2/images/generate`, {
    method: 'POST',
    headers: { ...target.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: PROMPT, model: 'seedream-4', seedreamParams: { size: '4K', aspect_ratio: '16:9' } }),
  });
  if (response.status !== 202) throw new Error(`${target.name}: generate answered ${response.status}`);
  return { jobId: ((await response.json()) as { jobId: string }).jobId, acceptedAt: Date.now() };
}

/** `clientsPerJob` clients on each of `jobs` jobs, each client first polling at the moment `phase()` gives it. */
async function measureCase(target: Target, clientsPerJob: number, jobs: number, phase: () => number) {
  const lateness: number[] = [];
  const pollMs: number[] = [];
  let missed = 0;
  const client = async (path: string, firstPollAt: number, giveUpAt: number) => {
    const connection = new Client(target.url, { keepAliveTimeout: 2 * POLL_INTERVAL_MS });
    try {
      const seen = await pollUntilFinished(connection, path, target.headers, firstPollAt, POLL_INTERVAL_MS, giveUpAt);
      pollMs.push(...seen.pollMs);
      const late = latenessOf(seen.polls);
      if (late === null) missed++;
      else lateness.push(late);
    } catch {
      missed++;
    } finally {
      await connection.close();
    }
  };
  const moments = Array.from({ length: jobs }, () => Array.from({ length: clientsPerJob }, phase));
  await Promise.all(
    moments.map(async (jobMoments) => {
      const { jobId, acceptedAt } = await submitJob(target);
      const giveUpAt = acceptedAt + JOB_MS + GIVE_UP_MS;
      await Promise.all(
        jobMoments.map((moment) => client(`/v2/jobs/${jobId}`, acceptedAt + moment * POLL_INTERVAL_MS, giveUpAt)),
      );
    }),
  );
  return { lateness, pollMs, missed };
}

/**
 * Every crowd, direct against `upstream` (a simulator finishing jobs in JOB_MS) and through a
 * gateway in its default configuration on `redisUrl`, `jobs` jobs per case.
 */
export async function freshnessRun(upstream: Service, redisUrl: string, jobs: number): Promise<FreshnessCase[]> {
  const gateway = await startGateway(upstream, { redisUrl, env: DEFAULTS });
  try {
    const targets: Target[] = [
      { name: 'direct', url: upstream.url, headers: { 'x-api-key': UPSTREAM_KEY } },
      { name: 'gateway', url: gateway.url, headers: { 'x-api-key': await createTeamKey(gateway, true) } },
    ];
    const cases: FreshnessCase[] = [];
    for (const clientsPerJob of CROWDS) {
      for (const target of targets) {
        const measured = await measureCase(target, clientsPerJob, jobs, seeded(clientsPerJob));
        cases.push({
          target: target.name,
          clientsPerJob,
          jobs,
          lateness: measured.lateness.length ? spreadOf(measured.lateness) : { mean: NaN, p95: NaN, max: NaN },
          pollMs: measured.pollMs.reduce((sum, ms) => sum + ms, 0) / Math.max(1, measured.pollMs.length),
          missed: measured.missed,
        });
        process.stderr.write(`freshness: ${JSON.stringify(cases.at(-1))}\n`);
      }
    }
    return cases;
  } finally {
    gateway.stop();
    await gateway.exited;
  }
}

const seconds = (ms: number) => (ms / 1_000).toFixed(2);
const signedSeconds = (ms: number) => `${ms >= 0 ? '+' : '−'}${seconds(Math.abs(ms))}`;

/** The freshness section of bench/RESULTS.md. */
export function freshnessSection(cases: FreshnessCase[] | null): string[] {
  if (!cases) return [];
  const rows = CROWDS.flatMap((clientsPerJob) => {
    const direct = cases.find((c) => c.target === 'direct' && c.clientsPerJob === clientsPerJob);
    const gateway = cases.find((c) => c.target === 'gateway' && c.clientsPerJob === clientsPerJob);
    if (!direct || !gateway) return [];
    const spread = ({ lateness }: FreshnessCase) =>
      `${seconds(lateness.mean)} | ${seconds(lateness.p95)} | ${seconds(lateness.max)}`;
    return [
      `| ${clientsPerJob.toLocaleString('en')} | ${direct.jobs} | ${direct.pollMs.toFixed(0)} | ${spread(direct)} | ` +
        `${spread(gateway)} | ${gateway.pollMs.toFixed(0)} | ${signedSeconds(gateway.lateness.mean - direct.lateness.mean)} | ` +
        `${signedSeconds(gateway.lateness.p95 - direct.lateness.p95)} | ${direct.missed + gateway.missed} |`,
    ];
  });
  return [
    `## Freshness: how late clients see a job finish (polls every ${POLL_INTERVAL_MS / 1_000} s, the simulator answering in ${UPSTREAM_LATENCY_MS} ms)`,
    '',
    `Each client polls its job every ${POLL_INTERVAL_MS / 1_000} s from a random moment, the same moments direct and through the gateway`,
    "(default configuration); lateness runs from the job's `completedAt` at the simulator to the answer of the first poll",
    'that shows it finished. Targets: a lone client through the gateway at most one upstream round trip later than',
    'direct, crowds at most 1 s later.',
    '',
    '| clients per job | jobs | upstream round trip ms | direct mean s | p95 s | max s | gateway mean s | p95 s | max s | gateway poll ms | gateway − direct, mean s | p95 s | missed |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ];
}
