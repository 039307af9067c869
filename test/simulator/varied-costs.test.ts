// With `varyCosts`, the simulator charges each completed job anywhere in its catalogue range times
// what was asked for, picked by the job's id, so a gateway reserving the upper bound really
// releases differences; `[sim:cost=N]` still decides when given.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';

const API_KEY = 'afk_simulator_varied_costs_test';
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ apiKey: API_KEY, jobDurationMs: 0, varyCosts: true });
});
afterAll(() => sim.close());

async function costOf(path: string, body: object): Promise<number> {
  const headers = { 'x-api-key': API_KEY, 'content-type': 'application/json' };
  const accepted = await fetch(`${sim.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const { jobId } = (await accepted.json()) as { jobId: string };
  const job = await fetch(`${sim.url}/v2/jobs/${jobId}`, { headers });
  return ((await job.json()) as { creditCost: number }).creditCost;
}

const edit = (prompt: string, duration: number) => ({
  model: 'wan-2.7-videoedit',
  prompt,
  wan27VideoeditParams: { video: 'https://example.com/a.mp4', duration },
});

describe('varied costs', () => {
  it('charges a per-second job from costMin to costMax times the seconds asked for, not always the same', async () => {
    const costs = await Promise.all(Array.from({ length: 20 }, () => costOf('/v2/videos/edit', edit('snow', 5))));
    for (const cost of costs) expect(cost).toBeGreaterThanOrEqual(4 * 5);
    for (const cost of costs) expect(cost).toBeLessThanOrEqual(6 * 5);
    expect(new Set(costs).size).toBeGreaterThan(1);
  });

  it('charges a per-output job within its range times the count', async () => {
    const body = { model: 'gpt-image-1.5', prompt: 'a cat', gptImageParams: { number_of_images: 3 } };
    const costs = await Promise.all(Array.from({ length: 10 }, () => costOf('/v2/images/generate', body)));
    for (const cost of costs) expect(cost).toBeGreaterThanOrEqual(3);
    for (const cost of costs) expect(cost).toBeLessThanOrEqual(15);
  });

  it('keeps [sim:cost=N] deciding', async () => {
    expect(await costOf('/v2/videos/edit', edit('snow [sim:cost=7]', 5))).toBe(7);
  });
});
