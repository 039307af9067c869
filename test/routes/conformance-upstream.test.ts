// Every job-submitting operation of Apiframe's spec (the committed copy) run end to end through
// the gateway against the simulator, from the same generated table as conformance.test.ts: with
// every model and action priced, the smallest body of each model the simulator's catalogue runs,
// and of each action on a parent job of the right kind, is answered 202, and each job settles at
// exactly the creditCost Apiframe charged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APIFRAME_JOB_OPERATIONS,
  APIFRAME_PRICE_NAMES,
  type ApiframeJobOperation,
} from '../../src/schemas/apiframe-spec.js';
import { startGateway, type CreatedKey, type TestGateway } from '../helpers/gateway.js';
import { loraForm } from '../helpers/files.js';
import { minimalBodies } from '../helpers/spec-bodies.js';

/** Far above any simulated cost, so that every job settles below its reservation. */
const PRICE = 1_000;

let gw: TestGateway;
let key: CreatedKey;
let catalogue: { id: string; operation: string }[];

beforeAll(async () => {
  const pricing = Object.fromEntries(APIFRAME_PRICE_NAMES.map((name) => [name, PRICE]));
  gw = await startGateway({ env: { PRICING: JSON.stringify(pricing) } });
  key = await gw.createKey();
  catalogue = ((await (await fetch(`${gw.sim.url}/v2/models`)).json()) as { models: typeof catalogue }).models;
});
afterAll(() => gw.close());

async function submit(path: string, body: unknown): Promise<string> {
  const response = await gw.inject({
    method: 'POST',
    url: path,
    headers: { 'x-api-key': key.key },
    payload: body as object,
  });
  expect(response.statusCode, `${path} ${JSON.stringify(body)}: ${response.body}`).toBe(202);
  return response.json().jobId;
}

/** The job once Apiframe reports it COMPLETED (the simulator runs jobs at once), with its cost. */
async function completed(jobId: string): Promise<number> {
  const job = (await gw.poll(key.key, jobId)).json();
  expect(job.status, JSON.stringify(job)).toBe('COMPLETED');
  return job.creditCost;
}

const byTag = (tag: string) => APIFRAME_JOB_OPERATIONS.filter((operation) => operation.tag === tag);
const family = (operation: ApiframeJobOperation) => operation.path.split('/').at(-2)!;

describe("Apiframe's job-submitting operations, end to end", () => {
  const charged: number[] = [];

  it.each(byTag('model').map((operation) => [operation.path, operation]))(
    '%s: runs each model of the catalogue from its smallest body',
    async (path, operation) => {
      const bodies = minimalBodies(operation);
      const models = catalogue.filter((entry) => `/v2/${entry.operation}` === path).map((entry) => entry.id);
      expect(models.length, `the simulator runs no model of ${path}`).toBeGreaterThan(0);
      for (const model of models)
        charged.push(await completed(await submit(path, await withOwnLora(bodies.get(model)!))));
    },
  );

  /** The body, its LoRA (if it names one) replaced by one the team trained through the gateway. */
  async function withOwnLora(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const params = body.fluxLoraParams as { loraId?: string } | undefined;
    if (!params?.loraId) return body;
    const form = new Request('http://localhost/', { method: 'POST', body: loraForm(15) });
    const trained = await gw.inject({
      method: 'POST',
      url: '/v2/loras',
      headers: { 'x-api-key': key.key, 'content-type': form.headers.get('content-type')! },
      payload: Buffer.from(await form.arrayBuffer()),
    });
    expect(trained.statusCode, trained.body).toBe(202);
    charged.push(2);
    return { ...body, fluxLoraParams: { ...params, loraId: trained.json().id } };
  }

  it.each(byTag('action').map((operation) => [operation.path, operation]))(
    "%s: runs each action on a parent job of the team's, of the kind the action needs",
    async (path, operation) => {
      const parents = await parentJobs(family(operation));
      for (const [action, body] of minimalBodies(operation)) {
        const parentJobId = parents[action] ?? parents.default!;
        charged.push(await completed(await submit(path, { ...body, parentJobId })));
      }
    },
  );

  it('charges each job exactly what Apiframe charged for it, and nothing for what it reserved', async () => {
    expect(charged.length).toBeGreaterThan(APIFRAME_JOB_OPERATIONS.length);
    expect((await gw.spend(key)).total).toBe(charged.reduce((sum, cost) => sum + cost, 0));
  });

  /** Completed jobs to act on, by the actions that need a parent of their kind (`default` for the rest). */
  async function parentJobs(name: string): Promise<Record<string, string>> {
    if (name === 'suno') {
      const song = await submit('/v2/music/generate', { model: 'suno', prompt: 'a song about the sea' });
      charged.push(await completed(song));
      return { default: song };
    }
    const grid = await submit('/v2/images/generate', { model: 'midjourney', prompt: 'a lighthouse' });
    charged.push(await completed(grid));
    const upsample = { action: 'upsample', index: 1, parentJobId: grid };
    const upsampled = await submit('/v2/images/midjourney/action', upsample);
    charged.push(await completed(upsampled));
    return { upsample: grid, variation: grid, default: upsampled };
  }
});
