// GET /v2/jobs in front of Apiframe (the simulator counts what it is asked): a listing shows each
// job as a poll would, through the same shared state, single refresher and 429 hold-back, and
// causes a bounded number of upstream reads however many jobs it shows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_UPSTREAM_READS_PER_LISTING } from '../../src/services/job-listing.js';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { expectApiframeJob } from '../helpers/job-shape.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { SEED_BODY, startGateway, UPSTREAM_KEY, type TestGateway } from '../helpers/gateway.js';

interface ListedJob {
  id: string;
  status: string;
  progress: number | null;
}

let redis: RedisServer;
let sim: Simulator;
let first: TestGateway;
let second: TestGateway;

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0, prices: { 'seedream-4': 3 } });
  first = await startGateway({ sim, redisUrl: redis.url });
  second = await startGateway({ sim, redisUrl: redis.url });
});
afterAll(async () => {
  await first.close();
  await second.close();
  await sim.close();
  await redis.destroy();
});

const RUNNING = { ...SEED_BODY, prompt: 'a job that runs [sim:never]' };

/** Upstream reads of each job. */
function readsByJob(jobIds: string[]): Map<string, number> {
  const reads = new Map(jobIds.map((id) => [id, 0]));
  for (const request of sim.requests) {
    const id = request.url.slice('/v2/jobs/'.length);
    if (request.method === 'GET' && reads.has(id)) reads.set(id, reads.get(id)! + 1);
  }
  return reads;
}
const reads = (jobIds: string[]) => [...readsByJob(jobIds).values()].reduce((sum, count) => sum + count, 0);

async function runningJobs(gateway: TestGateway, key: string, count: number, body = RUNNING): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, async () => (await gateway.generate(key, body)).json<{ jobId: string }>().jobId),
  );
}

/** The jobs of a listing, checked to be valid JSON holding jobs in Apiframe's shape. */
async function listed(gateway: TestGateway, key: string, query = ''): Promise<ListedJob[]> {
  const response = await gateway.inject({ method: 'GET', url: `/v2/jobs${query}`, headers: { 'x-api-key': key } });
  expect(response.statusCode, response.body).toBe(200);
  const { jobs } = JSON.parse(response.body) as { jobs: ListedJob[] };
  jobs.forEach(expectApiframeJob);
  return jobs;
}

describe('listing jobs in front of Apiframe', () => {
  it('reads each of 50 running jobs once over 5 listings on two instances, then shows them all as Apiframe reports them', async () => {
    const key = await first.createKey();
    const jobIds = await runningJobs(first, key.key, 50);
    for (let i = 0; i < 5; i++) {
      const jobs = await listed([first, second][i % 2]!, key.key, '?limit=50');
      expect(jobs.map((job) => job.id).sort()).toEqual([...jobIds].sort());
      expect(reads(jobIds)).toBe(MAX_UPSTREAM_READS_PER_LISTING * (i + 1));
    }
    expect([...readsByJob(jobIds).values()].every((count) => count === 1)).toBe(true);
    const shown = await listed(second, key.key, '?limit=50');
    expect(shown.every((job) => job.status === 'PROCESSING' && job.progress === 50)).toBe(true);
    console.log(`listing: 5 listings of 50 running jobs on two instances, ${reads(jobIds)} upstream reads`);
  });

  it('shares one upstream read of a running job among 20 concurrent listings on two instances', async () => {
    const key = await first.createKey();
    const [jobId] = await runningJobs(first, key.key, 1, {
      ...SEED_BODY,
      prompt: 'slow poll [sim:never] [sim:latency=200]',
    });
    const listings = await Promise.all(Array.from({ length: 20 }, (_, i) => listed([first, second][i % 2]!, key.key)));
    expect(listings.every((jobs) => jobs.length === 1 && jobs[0]!.id === jobId)).toBe(true);
    expect(reads([jobId!])).toBe(1);
  });

  it('shows a job never seen yet as Apiframe accepted it when the listing has no upstream reads left, and reads it next time', async () => {
    const key = await first.createKey();
    const jobIds = await runningJobs(first, key.key, MAX_UPSTREAM_READS_PER_LISTING + 1);
    const jobs = await listed(first, key.key, `?limit=${jobIds.length}`);
    const [accepted, ...others] = jobs.filter((job) => job.status === 'QUEUED' && job.progress === null);
    expect(others).toEqual([]);
    expect(reads(jobIds)).toBe(MAX_UPSTREAM_READS_PER_LISTING);
    expect(await listed(second, key.key, `?search=${accepted!.id}`)).toEqual([
      expect.objectContaining({ id: accepted!.id, status: 'PROCESSING' }),
    ]);
    expect(reads(jobIds)).toBe(MAX_UPSTREAM_READS_PER_LISTING + 1);
  });
});

describe.each(['redis', 'memory'] as const)(
  'a listing while Apiframe asks the gateway to hold back (%s store)',
  (storeKind) => {
    let ownRedis: RedisServer;
    let gateway: TestGateway;
    beforeAll(async () => {
      // Its own Redis: the pause reaches every instance on a Redis, and would hold back the others.
      ownRedis = await startRedis();
      gateway = await startGateway({ sim, ...(storeKind === 'redis' && { redisUrl: ownRedis.url }) });
    });
    afterAll(async () => {
      await gateway.close();
      await ownRedis.destroy();
    });

    it('asks Apiframe nothing and shows the jobs as last seen', async () => {
      const key = await gateway.createKey();
      const [seen, unseen] = await runningJobs(gateway, key.key, 2);
      expect((await gateway.poll(key.key, seen!)).json()).toMatchObject({ status: 'PROCESSING' });
      expect((await gateway.generate(key.key, { ...SEED_BODY, prompt: 'held back [sim:status=429]' })).statusCode).toBe(
        429,
      );
      const readsBefore = reads([seen!, unseen!]);

      const jobs = await listed(gateway, key.key);
      expect(reads([seen!, unseen!])).toBe(readsBefore);
      expect(jobs).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: seen, status: 'PROCESSING' }),
          expect.objectContaining({ id: unseen, status: 'QUEUED', progress: null }),
        ]),
      );
    });
  },
);
