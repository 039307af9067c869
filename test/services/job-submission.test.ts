// The job pipeline run by a descriptor of its own: an operation is served from its descriptor
// alone (its path upstream, its price, its model, the jobs it refers to), with the store in memory
// and a stand-in for Apiframe that accepts every job.
import { Type } from '@sinclair/typebox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errors } from '../../src/errors.js';
import { defineJobOperation } from '../../src/services/job-operation.js';
import type { Store } from '../../src/services/store/store.js';
import {
  type SentJob,
  startTestPipeline,
  testCaller as caller,
  type TestPipeline,
} from '../helpers/submission-pipeline.js';

const upscale = defineJobOperation({
  path: '/v2/images/upscale',
  name: 'upscale',
  tags: ['Images'],
  summary: 'Upscale an image',
  description: 'A test operation: upscales the image of an earlier job.',
  body: () => Type.Object({ jobId: Type.String(), factor: Type.Integer() }),
  model: () => 'upscaler',
  price: (body, prices) => prices.rule('upscaler')!.credits * body.factor,
  jobReferences: (body) => [body.jobId],
  webhooks: false,
});

const generate = defineJobOperation({
  path: '/v2/images/generate',
  name: 'generate',
  tags: ['Images'],
  summary: 'Generate an image',
  description: 'A test operation: an image from a prompt.',
  body: () => Type.Object({ prompt: Type.String() }),
  model: () => 'painter',
  price: () => 1,
  webhooks: false,
});

let store: Store;
let sent: SentJob[];
let submissions: TestPipeline['submissions'];

beforeEach(() => {
  ({ store, sent, submissions } = startTestPipeline({ upscaler: 2, painter: 1 }));
});
afterEach(() => store.close());

describe('an operation added as a descriptor', () => {
  it('is sent to its own path, reserving its own price under its own model', async () => {
    const alpha = caller('alpha');
    const first = await submissions.submit(generate, alpha, { prompt: 'a house' }, 'req-1');
    const { jobId } = JSON.parse(first.body) as { jobId: string };
    const answer = await submissions.submit(upscale, alpha, { jobId, factor: 3 }, 'req-2');
    expect(answer).toMatchObject({ status: 202, replayed: false });
    expect(sent.at(-1)).toEqual({ path: '/v2/images/upscale', body: { jobId, factor: 3 }, operation: 'upscale' });
    const upscaled = await store.getJob('alpha', (JSON.parse(answer.body) as { jobId: string }).jobId);
    expect(upscaled).toMatchObject({ model: 'upscaler', reserved: 6 });
  });

  it('refuses a reference to a job of another team as not found, and sends nothing', async () => {
    const first = await submissions.submit(generate, caller('alpha'), { prompt: 'a house' }, 'req-1');
    const { jobId } = JSON.parse(first.body) as { jobId: string };
    const refused = submissions.submit(upscale, caller('beta'), { jobId, factor: 2 }, 'req-2');
    await expect(refused).rejects.toBeInstanceOf(errors.JobNotFound);
    expect(sent).toHaveLength(1);
  });

  it('checks its model against the key’s allowed models', async () => {
    const refused = submissions.submit(generate, caller('alpha', ['upscaler']), { prompt: 'a house' }, 'req-1');
    await expect(refused).rejects.toBeInstanceOf(errors.ModelNotAllowed);
    expect(sent).toEqual([]);
  });
});
