// The freshness run's measure: a client's lateness, from the instant its job finished upstream
// to the answer of its first poll that shows it, and the spread of many clients' lateness.
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latenessOf, pollUntilFinished, spreadOf, type SeenPoll } from '../bench/freshness.js';
import { startSimulator, type Simulator } from '../src/simulator/simulator.js';
import { SEED_BODY, UPSTREAM_KEY } from './helpers/gateway.js';

const job = (status: string, completedAt: string | null) => JSON.stringify({ id: 'j', status, completedAt });

describe('the freshness measure', () => {
  it("times a client's first poll that shows the job finished from the job's completedAt", () => {
    const polls: SeenPoll[] = [
      { answeredAt: Date.parse('2026-11-30T00:00:01.000Z'), body: job('PROCESSING', null) },
      { answeredAt: Date.parse('2026-11-30T00:00:03.250Z'), body: job('COMPLETED', '2026-11-30T00:00:02.000Z') },
      { answeredAt: Date.parse('2026-11-30T00:00:05.250Z'), body: job('COMPLETED', '2026-11-30T00:00:02.000Z') },
    ];
    expect(latenessOf(polls)).toBe(1_250);
    expect(latenessOf([polls[0]!, { ...polls[1]!, body: job('FAILED', '2026-11-30T00:00:03.000Z') }])).toBe(250);
    expect(latenessOf(polls.slice(0, 1))).toBeNull();
  });

  it('summarises lateness as mean, 95th percentile (nearest rank) and maximum', () => {
    const values = Array.from({ length: 20 }, (_, i) => (20 - i) * 100);
    expect(spreadOf(values)).toEqual({ mean: 1_050, p95: 1_900, max: 2_000 });
    expect(spreadOf([700])).toEqual({ mean: 700, p95: 700, max: 700 });
  });

  describe('against the simulator', () => {
    const jobMs = 500;
    let sim: Simulator;
    beforeAll(async () => {
      sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: jobMs, prices: { 'seedream-4': 3 } });
    });
    afterAll(async () => {
      await sim.close();
    });

    it('polls on schedule until the job has finished, and is late by less than one interval', async () => {
      const headers = { 'x-api-key': UPSTREAM_KEY };
      const submitted = await fetch(`${sim.url}/v2/images/generate`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(SEED_BODY),
      });
      const { jobId } = (await submitted.json()) as { jobId: string };
      const client = new Client(sim.url);
      const intervalMs = 200;
      const start = Date.now();
      try {
        const { polls, pollMs } = await pollUntilFinished(
          client,
          `/v2/jobs/${jobId}`,
          headers,
          start + 30,
          intervalMs,
          start + 5_000,
        );
        const last = JSON.parse(polls.at(-1)!.body) as { status: string; createdAt: string; completedAt: string };
        expect(last.status).toBe('COMPLETED');
        expect(Date.parse(last.completedAt) - Date.parse(last.createdAt)).toBe(jobMs);
        expect(polls.slice(0, -1).every((poll) => JSON.parse(poll.body).status !== 'COMPLETED')).toBe(true);
        expect(pollMs).toHaveLength(polls.length);
        // Polls go out every interval from the first; lateness is the seeing poll's answer time past
        // completedAt (how small it is depends on the machine's load, so it is not asserted here).
        expect(polls.length).toBeGreaterThanOrEqual(2);
        const lateness = latenessOf(polls)!;
        expect(lateness).toBeGreaterThanOrEqual(0);
        expect(lateness).toBe(polls.at(-1)!.answeredAt - Date.parse(last.completedAt));
      } finally {
        await client.close();
      }
    });
  });
});
