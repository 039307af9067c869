// Usage reports by modality: an image, a Midjourney grid and its upsample, a video and a song
// run through the gateway; reports group, filter and total them by modality, and an action is
// named by its priced name (`midjourney:upsample`) wherever the gateway reports it, while the
// job itself says `midjourney` as Apiframe's does.
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiframeJobOperation } from '../../src/schemas/apiframe-spec.js';
import { ADMIN_TOKEN, SEED_BODY, startGateway, type CreatedKey, type TestGateway } from '../helpers/gateway.js';
import { minimalBodies } from '../helpers/spec-bodies.js';

const PRICING = { 'seedream-4': 3, midjourney: 5, 'midjourney:upsample': 2, 'kling-2.6': 100, suno: 6 };
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

let gw: TestGateway;
let key: CreatedKey;
/** What Apiframe charged for each job, by the name the gateway prices it under. */
const charged: Record<string, number> = {};
const jobs: Record<string, string> = {};

async function run(path: string, name: string, body: object): Promise<void> {
  const response = await gw.inject({ method: 'POST', url: path, headers: { 'x-api-key': key.key }, payload: body });
  expect(response.statusCode, response.body).toBe(202);
  const jobId: string = response.json().jobId;
  const job = (await gw.poll(key.key, jobId)).json();
  expect(job.status).toBe('COMPLETED');
  jobs[name] = jobId;
  charged[name] = job.creditCost;
}

beforeAll(async () => {
  gw = await startGateway({ env: { PRICING: JSON.stringify(PRICING) } });
  key = await gw.createKey({ scopes: ['generate', 'usage:read'] });
  await run('/v2/images/generate', 'seedream-4', SEED_BODY);
  await run('/v2/images/generate', 'midjourney', { model: 'midjourney', prompt: 'a lighthouse' });
  const upsample = { action: 'upsample', index: 1, parentJobId: jobs.midjourney };
  await run('/v2/images/midjourney/action', 'midjourney:upsample', upsample);
  const video = minimalBodies(apiframeJobOperation('/v2/videos/generate')).get('kling-2.6')!;
  await run('/v2/videos/generate', 'kling-2.6', video as object);
  await run('/v2/music/generate', 'suno', { model: 'suno', prompt: 'a song about the sea' });
});
afterAll(() => gw.close());

const get = (url: string, headers: Record<string, string> = admin) => gw.inject({ method: 'GET', url, headers });
const sum = (...names: string[]) => names.reduce((total, name) => total + charged[name]!, 0);

describe('usage by modality', () => {
  it('groups by modality, and totals each modality in every report', async () => {
    const image = sum('seedream-4', 'midjourney', 'midjourney:upsample');
    const report = (await get('/admin/usage?groupBy=modality')).json();
    expect(report.groupBy).toEqual(['modality']);
    expect(report.rows.map((row: { modality: string; credits: number }) => [row.modality, row.credits])).toEqual([
      ['image', image],
      ['music', charged.suno],
      ['video', charged['kling-2.6']],
    ]);
    for (const groupBy of ['team', 'model', 'modality', 'team,key,model,day,modality']) {
      const { totals, totalsByModality } = (await get(`/admin/usage?groupBy=${groupBy}`)).json();
      expect(totals.credits).toBe(sum(...Object.keys(charged)));
      expect(totalsByModality.image).toMatchObject({ credits: image, settlements: 3 });
      expect(totalsByModality.video).toMatchObject({ credits: charged['kling-2.6'], settlements: 1 });
      expect(totalsByModality.music).toMatchObject({ credits: charged.suno, settlements: 1 });
      expect(totalsByModality).not.toHaveProperty('other');
    }
  });

  it('shows each model’s modality beside it, in JSON and CSV', async () => {
    const rows = (await get('/admin/usage?groupBy=model')).json().rows;
    expect(rows.map((row: { model: string; modality: string }) => [row.model, row.modality])).toEqual([
      ['kling-2.6', 'video'],
      ['midjourney', 'image'],
      ['midjourney:upsample', 'image'],
      ['seedream-4', 'image'],
      ['suno', 'music'],
    ]);
    const csv: Record<string, string>[] = parse((await get('/admin/usage?groupBy=model&format=csv')).body, {
      columns: true,
    });
    expect(Object.keys(csv[0]!)).toEqual(expect.arrayContaining(['model', 'modality', 'credits']));
    expect(csv.find((row) => row.model === 'suno')).toMatchObject({ modality: 'music' });
    const byBoth = (await get('/admin/usage?groupBy=model,modality&format=csv')).body.split('\n')[0];
    expect(byBoth).toMatch(/^model,modality,credits,/);
  });

  it('filters by modality, for admins and for a key’s own report', async () => {
    const video = (await get('/admin/usage?groupBy=model&modality=video')).json();
    expect(video.rows).toEqual([expect.objectContaining({ model: 'kling-2.6', credits: charged['kling-2.6'] })]);
    expect(video.totals.credits).toBe(charged['kling-2.6']);
    const own = (await get('/v2/usage?groupBy=model&modality=music', { 'x-api-key': key.key })).json();
    expect(own.rows).toEqual([expect.objectContaining({ model: 'suno', modality: 'music' })]);
    const refused = await get('/admin/usage?modality=3d');
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ details: { modality: expect.any(Array) } });
  });

  it('filters by model, an action by its priced name, for admins and for a key’s own report', async () => {
    const midjourney = (await get('/admin/usage?groupBy=team&model=midjourney')).json();
    expect(midjourney.totals).toMatchObject({ credits: charged.midjourney, settlements: 1 });
    expect(midjourney.rows).toEqual([expect.objectContaining({ team: key.team, credits: charged.midjourney })]);
    const upsample = (await get('/admin/usage?groupBy=model&model=midjourney:upsample')).json();
    expect(upsample.rows.map((row: { model: string }) => row.model)).toEqual(['midjourney:upsample']);
    const own = (await get('/v2/usage?groupBy=day&model=suno', { 'x-api-key': key.key })).json();
    expect(own.totals.credits).toBe(charged.suno);
    const none = (await get('/admin/usage?model=suno&modality=image')).json();
    expect(none).toMatchObject({ rows: [], totals: { credits: 0 } });
    const refused = await get(`/admin/usage?model=${'m'.repeat(101)}`);
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ details: { model: expect.any(Array) } });
  });
});

describe('an action job', () => {
  it('is named by its priced name in the ledger and reports; its job names the family, as Apiframe’s', async () => {
    const events = (await get(`/admin/usage/events?key=${key.id}&limit=100`)).json().events;
    const settlement = events.find((entry: { jobId: string }) => entry.jobId === jobs['midjourney:upsample']);
    expect(settlement).toMatchObject({ kind: 'settle', model: 'midjourney:upsample' });
    const named = events.filter((entry: { model: string }) => entry.model === 'midjourney:upsample');
    expect(named.map((entry: { kind: string }) => entry.kind)).toEqual(['reserve', 'settle']);
    const job = (await gw.poll(key.key, jobs['midjourney:upsample']!)).json();
    expect(job.model).toBe('midjourney');

    const listed = (await get('/v2/jobs?model=midjourney', { 'x-api-key': key.key })).json().jobs;
    expect(listed.map((listedJob: { id: string }) => listedJob.id).sort()).toEqual(
      [jobs.midjourney, jobs['midjourney:upsample']].sort(),
    );
    const exact = (await get('/v2/jobs?model=midjourney:upsample', { 'x-api-key': key.key })).json().jobs;
    expect(exact.map((listedJob: { id: string }) => listedJob.id)).toEqual([jobs['midjourney:upsample']]);

    await gw.app.services.backgroundSettlement.settleOnce();
    const reconciled = (await get(`/admin/usage/reconciliation?team=${key.team}`)).json();
    expect(reconciled.summary).toMatchObject({ differences: 0, unsettled: 0 });
    expect(reconciled.summary.gatewayCredits).toBe(sum(...Object.keys(charged)));
  });
});
