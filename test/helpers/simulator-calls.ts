// The simulator started for a test file, and calls to it over real HTTP: one request with the
// key, and a job submitted and read back once it is terminal, in Apiframe's shape.
import { afterAll, beforeAll, expect } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/simulator.js';
import { expectApiframeJob } from './job-shape.js';

const API_KEY = 'afk_simulator_operations_test';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An answer's JSON, read as loosely as `app.inject(…).json()` reads it: the assertions check it. */
// biome-ignore lint/suspicious/noExplicitAny: as above
export type Json = any;

/** Starts a simulator (its jobs finish at once unless `options` say otherwise) for the file's tests. */
export function useSimulator(options: Omit<SimulatorOptions, 'apiKey'> = {}) {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ apiKey: API_KEY, jobDurationMs: 0, ...options });
  });
  afterAll(() => sim.close());

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${sim.url}${path}`, {
      method,
      headers: {
        'x-api-key': API_KEY,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Json };
  }

  /** Submits, expects 202 `{ jobId, status: 'QUEUED' }`, and returns the job once it is terminal. */
  async function run(path: string, body: Record<string, unknown>) {
    const accepted = await call('POST', path, body);
    expect(accepted, JSON.stringify(accepted.body)).toMatchObject({ status: 202, body: { status: 'QUEUED' } });
    expect(accepted.body.jobId).toMatch(UUID);
    const job = await call('GET', `/v2/jobs/${accepted.body.jobId}`);
    expect(job.status).toBe(200);
    expectApiframeJob(job.body);
    return job.body;
  }

  return { sim: () => sim, apiKey: API_KEY, call, run };
}
