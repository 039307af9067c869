// Every job-submitting operation of Apiframe's spec (the committed copy), driven through the
// gateway from a table generated from that spec: each path answers (never 404), the smallest
// body of each model or action passes validation and, with no price set, is refused with the
// 400 that names the missing price; a body of another model is a 400 with details. Nothing of
// it is sent upstream or charged. The 202s of priced operations are in conformance-upstream.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APIFRAME_JOB_OPERATIONS, priceName } from '../../src/schemas/apiframe-spec.js';
import { JOB_OPERATIONS } from '../../src/services/operations/index.js';
import { startGateway, type CreatedKey, type TestGateway } from '../helpers/gateway.js';
import { bodyOfAnotherBranch, minimalBodies } from '../helpers/spec-bodies.js';

let gw: TestGateway;
let key: CreatedKey;

beforeAll(async () => {
  gw = await startGateway({ env: { PRICING: '{"seedream-4":3}' } });
  key = await gw.createKey({ budget: { credits: 100, period: 'day' } });
});
afterAll(() => gw.close());

const post = (path: string, body: unknown) =>
  gw.inject({ method: 'POST', url: path, headers: { 'x-api-key': key.key }, payload: body as object });

const BRANCHES = APIFRAME_JOB_OPERATIONS.flatMap((operation) =>
  [...minimalBodies(operation)].map(([value, body]) => ({ operation, value, body })),
);

describe("Apiframe's job-submitting operations", () => {
  it('each have one descriptor, at the same path, with the spec’s webhook rule', () => {
    const served = JOB_OPERATIONS.map((operation) => operation.path).sort();
    expect(served).toEqual(APIFRAME_JOB_OPERATIONS.map((operation) => operation.path).sort());
    for (const operation of APIFRAME_JOB_OPERATIONS) {
      expect(JOB_OPERATIONS.find((descriptor) => descriptor.path === operation.path)!.webhooks).toBe(
        operation.webhooks,
      );
    }
  });

  it.each(JOB_OPERATIONS.map((operation) => [operation.path, operation]))(
    '%s: the example its documentation shows is valid',
    async (_path, operation) => {
      const [example] = (operation.body() as { examples: unknown[] }).examples;
      const response = await post(operation.path, example);
      if (response.statusCode !== 202) expect(response.json().code, response.body).toBe('GW_PRICE_MISSING');
    },
  );

  it.each(
    BRANCHES.filter(({ operation, value }) => priceName(operation, value) !== 'seedream-4').map((branch) => [
      `${branch.operation.path} ${branch.value}`,
      branch,
    ]),
  )('%s: its smallest body is valid, and refused with the missing price named', async (_name, branch) => {
    const { operation, value, body } = branch;
    const before = gw.sim.requests.length;
    const response = await post(operation.path, body);
    expect(response.statusCode, response.body).toBe(400);
    const name = priceName(operation, value);
    expect(response.json()).toMatchObject({
      code: 'GW_PRICE_MISSING',
      details: {
        $: [
          `${name} has no price on this gateway: the gateway operator must set one (PRICING_FILE, or PRICING for a flat price) before it can run`,
        ],
      },
    });
    expect(gw.sim.requests.length).toBe(before);
  });

  it.each(APIFRAME_JOB_OPERATIONS.map((operation) => [operation.path, operation]))(
    '%s: refuses with 400 and details a body valid for a model of another operation',
    async (_path, operation) => {
      const [value, body] = APIFRAME_JOB_OPERATIONS.filter(
        (other) => other.path !== operation.path && other.tag === operation.tag,
      )
        .flatMap((other) => [...minimalBodies(other)])
        .find(([candidate]) => !operation.branches.has(candidate))!;
      const response = await post(operation.path, body);
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json().code).toBe('GW_VALIDATION_FAILED');
      expect(response.json().details[operation.tag]).toEqual([
        `must be one of: ${[...operation.branches.keys()].join(', ')}`,
      ]);
      expect(value).not.toBe('');
    },
  );

  it.each(
    APIFRAME_JOB_OPERATIONS.filter((operation) => bodyOfAnotherBranch(operation)).map((operation) => [
      operation.path,
      operation,
    ]),
  )('%s: refuses with 400 and details a body valid for another of its models', async (_path, operation) => {
    const { body, field } = bodyOfAnotherBranch(operation)!;
    const response = await post(operation.path, body);
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json()).toMatchObject({
      code: 'GW_VALIDATION_FAILED',
      details: { [field]: ['is not a recognised field'] },
    });
  });

  it('charges nothing for any of it but the one priced example', async () => {
    expect((await gw.spend(key)).day).toBe(3);
  });
});
