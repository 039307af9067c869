// The simulator answers as Apiframe's spec says: every answer of the shared response table
// (test/helpers/response-cases.ts) and Apiframe's own refusals, each validated against the spec's
// schema for its route and status (its ErrorResponse where the spec declares none).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { UPSTREAM_KEY } from '../helpers/gateway.js';
import {
  acceptedBodies,
  makeFixtures,
  sharedCases,
  simulatorRefusals,
  type Call,
  type ResponseCase,
  type Target,
} from '../helpers/response-cases.js';
import { conformance, SPEC_ROUTES } from '../helpers/spec-responses.js';

let sim: Simulator;
let cases: ResponseCase[];

const target: Target = {
  async send(call: Call) {
    const key = call.key === undefined ? UPSTREAM_KEY : call.key;
    const headers: Record<string, string> = { ...(key !== null && { 'x-api-key': key }), ...call.headers };
    if (call.json !== undefined) headers['content-type'] = 'application/json';
    const body = call.form ?? (call.json !== undefined ? JSON.stringify(call.json) : call.raw);
    const response = await fetch(`${sim.url}${call.url}`, { method: call.method, headers, body });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  },
};

beforeAll(async () => {
  sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0 });
  const fixtures = await makeFixtures(target);
  const catalogue = (await (await fetch(`${sim.url}/v2/models`)).json()) as { models: [] };
  cases = [...sharedCases(fixtures, acceptedBodies(fixtures, catalogue.models)), ...simulatorRefusals()];
});
afterAll(() => sim.close());

describe("the simulator's answers", () => {
  it("each conform to Apiframe's spec for their route and status", async () => {
    const failures: string[] = [];
    for (const { route, status, why, call } of cases) {
      const answer = await target.send(call);
      const { errors } = conformance(route, answer.status, answer.body);
      if (answer.status !== status || errors.length > 0)
        failures.push(
          `${route} ${status} (${why}): ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 300)} ${errors}`,
        );
    }
    expect(failures).toEqual([]);
    expect(new Set(cases.map((c) => c.route))).toEqual(new Set(SPEC_ROUTES));
  });
});
