// The jobs contract (getJob, pollJob, saveSnapshot, listJobs, jobsCreatedBetween, pendingJobs,
// deferJob, pendingJobCount) on Redis, Redis Cluster and memory.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/services/store/store.js';
import { uniqueTeam } from '../../helpers/gateway.js';
import {
  attachedJob,
  audit,
  DAY,
  NOW,
  reservation,
  settleRequest,
  STORE_KINDS,
  teamRecord,
  useStoreServers,
} from './stores.js';

const servers = useStoreServers();

describe.each(STORE_KINDS)('jobs (%s)', (kind) => {
  let store: Store;
  beforeAll(() => {
    store = servers.open(kind);
  });
  afterAll(async () => {
    await store.close();
  });

  it('reads a recorded job with its reservation, accounting day and webhook, and nothing for an unknown one', async () => {
    const team = uniqueTeam();
    const r = reservation(team, 'k1');
    const jobId = randomUUID();
    await store.reserve(r);
    await store.attachJob({
      ...r,
      jobId,
      webhook: { url: 'https://hooks.example/a', events: ['completed', 'failed'] },
    });
    expect(await store.getJob(team, jobId)).toEqual({
      jobId,
      team,
      keyId: 'k1',
      model: 'seedream-4',
      reserved: 3,
      createdAt: NOW,
      day: DAY,
      state: 'pending',
      charged: null,
      finalBody: null,
      webhook: { url: 'https://hooks.example/a', events: ['completed', 'failed'] },
    });
    expect(await store.getJob(team, randomUUID())).toBeNull();
    expect(await store.getJob(uniqueTeam(), jobId)).toBeNull();
  });

  it('hands out pending jobs when due and defers them', async () => {
    const team = uniqueTeam();
    const r = reservation(team, 'k1');
    const jobId = randomUUID();
    await store.reserve(r);
    await store.attachJob({ ...r, jobId });
    expect((await store.pendingJobs(team, NOW, 10)).map((j) => j.jobId)).toEqual([jobId]);
    await store.deferJob(team, jobId, NOW + 5_000);
    expect(await store.pendingJobs(team, NOW, 10)).toEqual([]);
    expect((await store.pendingJobs(team, NOW + 5_000, 10)).map((j) => j.jobId)).toEqual([jobId]);
    await store.settle({
      team,
      jobId,
      status: 'FAILED',
      credits: 0,
      finalBody: '{}',
      now: NOW,
      day: DAY,
      requestId: 'req-test',
    });
    expect(await store.pendingJobs(team, NOW + 10_000, 10)).toEqual([]);
  });

  it('lets one poller fetch at a time and serves the others the last state seen', async () => {
    const team = uniqueTeam();
    const r = reservation(team, 'k1');
    const jobId = randomUUID();
    await store.reserve(r);
    await store.attachJob({ ...r, jobId });
    const poll = (now: number) => store.pollJob(team, jobId, now, 1_000, 60_000);
    expect(await poll(NOW)).toMatchObject({ action: 'fetch', stale: null });
    expect((await poll(NOW))?.action).toBe('wait');
    await store.saveSnapshot(team, jobId, '{"status":"PROCESSING"}', NOW);
    expect(await poll(NOW + 1_000)).toMatchObject({ action: 'snapshot', body: '{"status":"PROCESSING"}' });
    expect(await poll(NOW + 1_001)).toMatchObject({
      action: 'fetch',
      stale: { body: '{"status":"PROCESSING"}', at: NOW },
    });
    expect(await poll(NOW + 1_001)).toMatchObject({ action: 'snapshot', body: '{"status":"PROCESSING"}' });
    expect(await store.pollJob(team, randomUUID(), NOW, 1_000, 60_000)).toBeNull();
  });

  it('only looks when asked to take no lock, leaving the right to fetch to a poller', async () => {
    const team = uniqueTeam();
    const r = reservation(team, 'k1');
    const jobId = randomUUID();
    await store.reserve(r);
    await store.attachJob({ ...r, jobId });
    const look = (now: number) => store.pollJob(team, jobId, now, 1_000, 0);
    expect(await look(NOW)).toMatchObject({ action: 'due', stale: null });
    expect(await store.pollJob(team, jobId, NOW, 1_000, 60_000)).toMatchObject({ action: 'fetch', stale: null });
    expect(await look(NOW)).toMatchObject({ action: 'due', stale: null });
    await store.saveSnapshot(team, jobId, '{"status":"PROCESSING"}', NOW);
    expect(await look(NOW + 1_000)).toMatchObject({ action: 'snapshot', body: '{"status":"PROCESSING"}' });
    expect(await look(NOW + 1_001)).toMatchObject({
      action: 'due',
      stale: { body: '{"status":"PROCESSING"}', at: NOW },
    });
    expect(await store.pollJob(team, jobId, NOW + 1_001, 1_000, 60_000)).toMatchObject({ action: 'fetch' });
  });

  it('treats an empty final body as absent, and keeps the body a later settlement brings', async () => {
    const team = uniqueTeam();
    const r = reservation(team, 'k1');
    const jobId = randomUUID();
    await store.reserve(r);
    await store.attachJob({ ...r, jobId });
    const settle = {
      team,
      jobId,
      status: 'COMPLETED',
      credits: 3,
      finalBody: '',
      now: NOW,
      day: DAY,
      requestId: 'req-test',
    };
    expect(await store.settle(settle)).toEqual({ settled: true, overrun: 0 });
    expect(await store.getJob(team, jobId)).toMatchObject({ state: 'settled', finalBody: null });
    expect((await store.listJobs({ team, limit: 10 })).jobs).toMatchObject([
      { jobId, state: 'settled', finalBody: null },
    ]);
    expect((await store.pollJob(team, jobId, NOW, 1_000, 60_000))?.action).toBe('fetch');
    expect(await store.settle({ ...settle, finalBody: '{"status":"COMPLETED"}' })).toEqual({
      settled: false,
      overrun: 0,
    });
    expect(await store.getJob(team, jobId)).toMatchObject({ finalBody: '{"status":"COMPLETED"}' });
    expect(await store.pollJob(team, jobId, NOW, 1_000, 60_000)).toMatchObject({
      action: 'final',
      body: '{"status":"COMPLETED"}',
    });
  });

  it("lists a team's jobs newest first, a key's alone, page after page", async () => {
    const team = uniqueTeam();
    const first = await attachedJob(store, team, 'k1', NOW);
    const second = await attachedJob(store, team, 'k2', NOW + 1);
    const third = await attachedJob(store, team, 'k1', NOW + 2);
    const page = await store.listJobs({ team, limit: 2 });
    expect(page.jobs.map((job) => job.jobId)).toEqual([third, second]);
    expect(page.hasMore).toBe(true);
    const rest = await store.listJobs({ team, limit: 2, after: { createdAt: NOW + 1, id: second } });
    expect(rest).toMatchObject({ jobs: [{ jobId: first }], hasMore: false });
    expect((await store.listJobs({ team, keyId: 'k1', limit: 10 })).jobs.map((job) => job.jobId)).toEqual([
      third,
      first,
    ]);
    expect(await store.listJobs({ team: uniqueTeam(), limit: 10 })).toEqual({ jobs: [], hasMore: false });
  });

  it('finds the jobs created in a period, oldest first, the end excluded', async () => {
    const team = uniqueTeam();
    const before = await attachedJob(store, team, 'k1', NOW - 1);
    const inside = [await attachedJob(store, team, 'k1', NOW), await attachedJob(store, team, 'k2', NOW + 500)];
    await attachedJob(store, team, 'k1', NOW + 1_000);
    expect((await store.jobsCreatedBetween(team, NOW, NOW + 1_000)).map((job) => job.jobId)).toEqual(inside);
    expect((await store.jobsCreatedBetween(team, NOW - 1, NOW)).map((job) => job.jobId)).toEqual([before]);
  });

  it('counts the jobs not settled yet over every team', async () => {
    const before = await store.pendingJobCount();
    const [teamA, teamB] = [uniqueTeam(), uniqueTeam()];
    // Every team the gateway knows counts: those a key or team was saved for.
    for (const team of [teamA, teamB])
      await store.saveTeam({ record: teamRecord(team), expectedVersion: 0, audit: audit() });
    const jobA = await attachedJob(store, teamA);
    await attachedJob(store, teamB);
    expect(await store.pendingJobCount()).toBe(before + 2);
    await store.settle(settleRequest(teamA, jobA));
    expect(await store.pendingJobCount()).toBe(before + 1);
  });
});
