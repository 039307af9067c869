// What the benchmarks send: a target (anything that serves Apiframe's API, possibly under another
// prefix) with a pending and a completed job of its own, and the requests of each scenario.
import type autocannon from 'autocannon';
import type { Redis } from 'ioredis';
import type { Service } from './processes.js';

export const SCENARIOS = ['generate', 'poll pending', 'poll completed', 'mix 1:20'] as const;
export type Scenario = (typeof SCENARIOS)[number];
const BODY = JSON.stringify({
  prompt: 'a detailed architectural blueprint of a modern glass house',
  model: 'seedream-4',
  seedreamParams: { size: '4K', aspect_ratio: '16:9' },
});

export interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** Where the target serves Apiframe's /v2 paths (Portkey proxies them under /v1). */
  prefix: string;
  pendingJob: string;
  completedJob: string;
  redis?: Redis;
}

/** A target with a job that never finishes and one that has finished and been polled. */
export async function target(
  name: string,
  service: Service,
  headers: Record<string, string>,
  prefix = '/v2',
  redis?: Redis,
): Promise<Target> {
  const submit = async (prompt: string) => {
    const response = await fetch(`${service.url}${prefix}/images/generate`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ ...JSON.parse(BODY), prompt }),
    });
    if (response.status !== 202)
      throw new Error(`${name}: generate answered ${response.status} ${await response.text()}`);
    return ((await response.json()) as { jobId: string }).jobId;
  };
  const pendingJob = await submit('bench pending [sim:never]');
  const completedJob = await submit('bench completed');
  await fetch(`${service.url}${prefix}/jobs/${completedJob}`, { headers });
  return { name, url: service.url, headers, prefix, pendingJob, completedJob, ...(redis && { redis }) };
}

export function scenario(target: Target, name: Scenario): autocannon.Request[] {
  const post = {
    method: 'POST' as const,
    path: `${target.prefix}/images/generate`,
    headers: { ...target.headers, 'content-type': 'application/json' },
    body: BODY,
  };
  const poll = (job: string) => ({
    method: 'GET' as const,
    path: `${target.prefix}/jobs/${job}`,
    headers: target.headers,
  });
  if (name === 'generate') return [post];
  if (name === 'poll pending') return [poll(target.pendingJob)];
  if (name === 'poll completed') return [poll(target.completedJob)];
  return [post, ...Array.from({ length: 20 }, () => poll(target.completedJob))];
}
