// Fresh when alone, shared when crowded: the poller that refreshes a job waits for Apiframe's
// answer (at most 2 s), so a lone client sees a job finish as soon as it would polling Apiframe;
// polls that arrive during the refresh get the last state at once.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { SEED_BODY, startGateway, UPSTREAM_KEY, type TestGateway } from '../helpers/gateway.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.destroy();
});

interface Setup {
  sim: Simulator;
  first: TestGateway;
  second: TestGateway;
  upstreamReads(jobId: string): number;
}

/** Runs `test` against a simulator whose jobs take `jobDurationMs` and two gateways on one Redis. */
async function withGateways(jobDurationMs: number, test: (setup: Setup) => Promise<void>): Promise<void> {
  const sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs, prices: { 'seedream-4': 3 } });
  const first = await startGateway({ sim, redisUrl: redis.url });
  const second = await startGateway({ sim, redisUrl: redis.url });
  const upstreamReads = (jobId: string) =>
    sim.requests.filter((r) => r.method === 'GET' && r.url === `/v2/jobs/${jobId}`).length;
  try {
    await test({ sim, first, second, upstreamReads });
  } finally {
    await first.close();
    await second.close();
    await sim.close();
  }
}

async function timed<T>(answer: Promise<T>): Promise<{ answer: T; ms: number }> {
  const started = performance.now();
  return { answer: await answer, ms: performance.now() - started };
}

const statusOf = (response: { json(): unknown }) => (response.json() as { status: string }).status;

describe('fresh polls', () => {
  it('shows a lone poller the state Apiframe has when it polls, not the one it had a poll before', async () => {
    const jobMs = 2_000;
    // Polls 1.2 s apart: each finds the shared state over a second old and refreshes it.
    const intervalMs = 1_200;
    await withGateways(jobMs, async ({ first }) => {
      const key = await first.createKey();
      const { jobId } = (await first.generate(key.key)).json();
      const polls: { sentAt: number; status: string }[] = [];
      let completesAt = Infinity;
      while (polls.at(-1)?.status !== 'COMPLETED' && polls.length < 8) {
        const sentAt = Date.now();
        const answer = (await first.poll(key.key, jobId)).json() as { status: string; createdAt: string };
        completesAt = Date.parse(answer.createdAt) + jobMs;
        polls.push({ sentAt, status: answer.status });
        await sleep(Math.max(0, sentAt + intervalMs - Date.now()));
      }
      const seen = polls.at(-1)!;
      expect(seen.status).toBe('COMPLETED');
      // The poll that saw it is the first one sent after Apiframe's job finished (or the one in flight then).
      expect(seen.sentAt - completesAt, JSON.stringify({ completesAt, polls })).toBeLessThan(intervalMs);
      expect(polls.slice(0, -1).every((poll) => poll.status !== 'COMPLETED')).toBe(true);
      expect((await first.spend(key)).total).toBe(3);
    });
  }, 20_000);

  it('answers polls that arrive during a refresh with the last state at once, on either instance', async () => {
    const jobMs = 2_000;
    await withGateways(jobMs, async ({ first, second, upstreamReads }) => {
      const key = await first.createKey();
      const prompt = 'slow reads [sim:latency=600]';
      const { jobId } = (await first.generate(key.key, { ...SEED_BODY, prompt })).json();
      const before = (await first.poll(key.key, jobId)).json() as { status: string; createdAt: string };
      expect(before.status).not.toBe('COMPLETED');
      // Apiframe's job has finished; the shared state is over a second old.
      await sleep(Math.max(1_100, Date.parse(before.createdAt) + jobMs + 100 - Date.now()));
      const refreshing = timed(first.poll(key.key, jobId));
      await sleep(100);
      const [sameInstance, otherInstance] = await Promise.all([
        timed(first.poll(key.key, jobId)),
        timed(second.poll(key.key, jobId)),
      ]);
      for (const { answer, ms } of [sameInstance, otherInstance]) {
        expect(statusOf(answer)).toBe(before.status);
        expect(ms).toBeLessThan(400);
      }
      const refreshed = await refreshing;
      expect(statusOf(refreshed.answer)).toBe('COMPLETED');
      expect(refreshed.ms).toBeGreaterThanOrEqual(500);
      expect(upstreamReads(jobId)).toBe(2);
      expect((await first.spend(key)).total).toBe(3);
    });
  }, 20_000);

  it('answers the last state when a refresh outlasts 2 s, and the refresh still settles the job', async () => {
    const jobMs = 3_000;
    await withGateways(jobMs, async ({ sim, first, upstreamReads }) => {
      const third = await startGateway({ sim, redisUrl: redis.url });
      let closed = false;
      try {
        const key = await first.createKey();
        const { jobId } = (await first.generate(key.key, { ...SEED_BODY, prompt: 'x [sim:latency=2300]' })).json();
        const before = statusOf(await third.poll(key.key, jobId));
        expect(before).not.toBe('COMPLETED');
        await sleep(1_100);
        const slow = await timed(third.poll(key.key, jobId));
        expect(statusOf(slow.answer)).toBe(before);
        expect(slow.ms).toBeGreaterThanOrEqual(1_900);
        expect(slow.ms).toBeLessThan(2_300);
        // Closing waits for the refresh that goes on in the background, which settles the job.
        closed = true;
        await third.close();
        expect(upstreamReads(jobId)).toBe(2);
        expect((await first.spend(key)).total).toBe(3);
        expect(statusOf(await first.poll(key.key, jobId))).toBe('COMPLETED');
        expect(upstreamReads(jobId)).toBe(2);
      } finally {
        if (!closed) await third.close();
      }
    });
  }, 30_000);

  it('answers the last state when a refresh fails, and logs the failure', async () => {
    await withGateways(60_000, async ({ sim, first }) => {
      const key = await first.createKey();
      const { jobId } = (await first.generate(key.key)).json();
      const before = statusOf(await first.poll(key.key, jobId));
      await sleep(1_100);
      sim.failAll(500);
      try {
        const poll = await first.poll(key.key, jobId);
        expect(poll.statusCode).toBe(200);
        expect(statusOf(poll)).toBe(before);
      } finally {
        sim.failAll(null);
      }
      expect(first.logs.some((line) => line.includes('job refresh failed'))).toBe(true);
    });
  }, 20_000);

  it('dates a shared state from when Apiframe was asked: a crowd refreshes every second, not every second and a round trip', async () => {
    await withGateways(0, async ({ first, upstreamReads }) => {
      const key = await first.createKey();
      const { jobId } = (
        await first.generate(key.key, { ...SEED_BODY, prompt: 'x [sim:never] [sim:latency=600]' })
      ).json();
      const asked = timed(first.poll(key.key, jobId));
      const askedAt = Date.now();
      await asked;
      // Answered a second after it was asked for, though only ~400 ms after Apiframe answered.
      await sleep(Math.max(0, askedAt + 1_050 - Date.now()));
      await first.poll(key.key, jobId);
      expect(upstreamReads(jobId)).toBe(2);
    });
  }, 20_000);

  it('still reads a job from Apiframe at most once a second, with many pollers on two instances', async () => {
    await withGateways(0, async ({ first, second, upstreamReads }) => {
      const key = await first.createKey();
      const counted = await first.createKey({
        team: key.team,
        rateLimit: { generatePerMinute: null, readsPerMinute: 1_000_000 },
      });
      const prompt = 'crowded [sim:never] [sim:latency=150]';
      const { jobId } = (await first.generate(key.key, { ...SEED_BODY, prompt })).json();
      const started = Date.now();
      const stopAt = started + 3_500;
      let polls = 0;
      const poller = async (i: number) => {
        const gateway = [first, second][i % 2]!;
        const pollKey = [key, counted][Math.floor(i / 2) % 2]!;
        await sleep(Math.random() * 100);
        while (Date.now() < stopAt) {
          expect(statusOf(await gateway.poll(pollKey.key, jobId))).toBe('PROCESSING');
          polls++;
          await sleep(50 + Math.random() * 100);
        }
      };
      await Promise.all(Array.from({ length: 40 }, (_, i) => poller(i)));
      const seconds = (Date.now() - started) / 1_000;
      expect(polls).toBeGreaterThan(200);
      expect(upstreamReads(jobId)).toBeGreaterThanOrEqual(2);
      expect(upstreamReads(jobId)).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    });
  }, 20_000);
});
