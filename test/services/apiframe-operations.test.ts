// The descriptors built from Apiframe's spec, run by the job pipeline with the store in memory and
// a stand-in for Apiframe that accepts every job: each is sent to its own path under the name it is
// priced as; an action's parent job must be the caller's team's; a branch without a price is
// refused before anything is looked up or sent.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errors } from '../../src/errors.js';
import { generateImage } from '../../src/services/operations/images-generate.js';
import { midjourneyAction } from '../../src/services/operations/images-midjourney-action.js';
import { sunoAction } from '../../src/services/operations/music-suno-action.js';
import { generateVideo } from '../../src/services/operations/videos-generate.js';
import type { Store } from '../../src/services/store/store.js';
import {
  type SentJob,
  startTestPipeline,
  testCaller as caller,
  type TestPipeline,
} from '../helpers/submission-pipeline.js';

const PRICING = { midjourney: 8, 'midjourney:upsample': 2, 'kling-2.1': 70, suno: 10 };

let store: Store;
let sent: SentJob[];
let submissions: TestPipeline['submissions'];

beforeEach(() => {
  ({ store, sent, submissions } = startTestPipeline(PRICING));
});
afterEach(() => store.close());

async function midjourneyJob(team: string): Promise<string> {
  const answer = await submissions.submit(generateImage, caller(team), { prompt: 'a fox', model: 'midjourney' }, 'r0');
  return (JSON.parse(answer.body) as { jobId: string }).jobId;
}

const jobOf = async (team: string, body: string) => store.getJob(team, (JSON.parse(body) as { jobId: string }).jobId);

describe('an operation from the spec', () => {
  it('is sent to its own path with the body as given, reserving its model’s price', async () => {
    const body = { prompt: 'a paper boat', model: 'kling-2.1', klingParams: { duration: 10, mode: 'pro' } };
    const answer = await submissions.submit(generateVideo, caller('alpha'), body, 'r1');
    expect(answer.status).toBe(202);
    expect(sent).toEqual([{ path: '/v2/videos/generate', body, operation: 'videos-generate' }]);
    expect(await jobOf('alpha', answer.body)).toMatchObject({ model: 'kling-2.1', reserved: 70 });
  });

  it('relays its webhook through the gateway, as generate does', async () => {
    const body = { prompt: 'a paper boat', model: 'kling-2.1', webhookUrl: 'https://team.example/hook' };
    await submissions.submit(generateVideo, caller('alpha'), body, 'r1');
    expect(sent[0]!.body.webhookUrl).toBe('https://gateway.example/hooks/alpha');
  });

  it('refuses a model without a price, naming the price and the priced models, and sends nothing', async () => {
    const refused = submissions.submit(generateVideo, caller('alpha'), { prompt: 'x', model: 'sora-2' }, 'r1');
    await expect(refused).rejects.toBeInstanceOf(errors.PriceMissing);
    await expect(refused).rejects.toMatchObject({
      statusCode: 400,
      details: {
        model: ['must be one of: kling-2.1'],
        $: [
          'sora-2 has no price on this gateway: the gateway operator must set one (PRICING_FILE, or PRICING for a flat price) before it can run',
        ],
      },
    });
    expect(sent).toEqual([]);
  });
});

describe('an action on an earlier job', () => {
  it('is sent with its parent when the parent is the team’s, priced as family:action', async () => {
    const parentJobId = await midjourneyJob('alpha');
    const body = { action: 'upsample', index: 2, parentJobId };
    const answer = await submissions.submit(midjourneyAction, caller('alpha'), body, 'r1');
    expect(sent.at(-1)).toEqual({ path: '/v2/images/midjourney/action', body, operation: 'images-midjourney-action' });
    expect(await jobOf('alpha', answer.body)).toMatchObject({ model: 'midjourney:upsample', reserved: 2 });
  });

  it('refuses a parent of another team exactly as an unknown one, and sends nothing', async () => {
    const parentJobId = await midjourneyJob('alpha');
    for (const parent of [parentJobId, randomUUID()]) {
      const body = { action: 'upsample', index: 1, parentJobId: parent };
      await expect(submissions.submit(midjourneyAction, caller('beta'), body, 'r')).rejects.toBeInstanceOf(
        errors.JobNotFound,
      );
    }
    expect(sent).toHaveLength(1);
  });

  it('is refused for its missing price before its parent is looked up', async () => {
    const body = { action: 'extend', parentJobId: randomUUID() };
    await expect(submissions.submit(sunoAction, caller('alpha'), body, 'r1')).rejects.toMatchObject({
      code: 'GW_PRICE_MISSING',
      details: { action: ['none is priced on this gateway'] },
    });
    expect(sent).toEqual([]);
  });

  it('needs its own name in a key’s allowed models: the family’s model is not enough', async () => {
    const parentJobId = await midjourneyJob('alpha');
    const body = { action: 'upsample', index: 1, parentJobId };
    const refused = submissions.submit(midjourneyAction, caller('alpha', ['midjourney']), body, 'r1');
    await expect(refused).rejects.toBeInstanceOf(errors.ModelNotAllowed);
    const allowed = caller('alpha', ['midjourney', 'midjourney:upsample']);
    expect((await submissions.submit(midjourneyAction, allowed, body, 'r2')).status).toBe(202);
  });
});
