// The model catalogue service against a fake Apiframe: what it does with answers the simulator
// never gives (a catalogue not of the spec's shape, a timeout, a refusal of the gateway's own call).
import { describe, expect, it } from 'vitest';
import { createModelCatalogue } from '../../src/services/model-catalogue.js';
import { operatorPricing } from '../../src/schemas/pricing-file.js';
import { operatorPriceSource } from '../../src/services/prices.js';
import { UpstreamFailure, type UpstreamClient, type UpstreamResponse } from '../../src/services/upstream.js';

const unused = () => Promise.reject(new Error('not called'));

function catalogueAnswering(answer: () => Promise<UpstreamResponse>) {
  const upstream: UpstreamClient = {
    submitJob: unused,
    getJob: unused,
    listJobs: unused,
    getAccount: unused,
    listModels: answer,
    forward: unused,
    close: () => Promise.resolve(),
  };
  const prices = operatorPriceSource({
    rules: operatorPricing({ 'seedream-4': 3 }, undefined, undefined).rules,
    ceilings: {},
  });
  return createModelCatalogue({ upstream, clock: () => 0, prices });
}

const answering = (status: number, body: unknown) => () =>
  Promise.resolve({ status, retryAfter: undefined, body: typeof body === 'string' ? body : JSON.stringify(body) });

const statusOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 200,
    (error: { statusCode?: number }) => error.statusCode,
  );

describe('the model catalogue', () => {
  it.each([
    ['not JSON', 'upstream html'],
    ['no models array', { data: [] }],
    ['models that are no array', { models: { id: 'seedream-4' } }],
  ])('answers 502 for a catalogue with %s', async (_what, body) => {
    expect(await statusOf(catalogueAnswering(answering(200, body)).list({}, 'r'))).toBe(502);
  });

  it.each([
    ['without a label', { id: 'seedream-4', modality: 'image' }],
    ['of an unknown modality', { id: 'seedream-4', label: 'Seedream 4', modality: '3d' }],
    ['of an unknown pricing mode', { id: 'seedream-4', label: 'S', modality: 'image', pricingMode: 'per-token' }],
    ['with a cost that is not a number', { id: 'seedream-4', label: 'S', modality: 'image', costMax: '3' }],
  ])('leaves out an entry %s and lists the others', async (_what, unreadable) => {
    const readable = { id: 'seedream-4', label: 'Seedream 4', modality: 'image' };
    const listed = await catalogueAnswering(answering(200, { models: [unreadable, readable] })).list({}, 'r');
    expect(listed).toEqual([{ ...readable, gatewayPrice: { credits: 3, rule: 'flat', source: 'operator' } }]);
  });

  it("answers 502 when Apiframe refuses the gateway's call, and 504 or 502 when it cannot be reached", async () => {
    expect(await statusOf(catalogueAnswering(answering(400, { error: 'Validation failed' })).list({}, 'r'))).toBe(502);
    expect(await statusOf(catalogueAnswering(answering(503, '')).list({}, 'r'))).toBe(502);
    const failing = (kind: UpstreamFailure['kind']) => () => Promise.reject(new UpstreamFailure(kind, null));
    expect(await statusOf(catalogueAnswering(failing('timeout')).list({}, 'r'))).toBe(504);
    expect(await statusOf(catalogueAnswering(failing('unreachable')).list({}, 'r'))).toBe(502);
  });

  it("keeps Apiframe's fields, extra ones included, and adds the gateway price", async () => {
    const entry = { id: 'seedream-4', label: 'Seedream 4', modality: 'image', costMin: 3, costMax: 3, controls: [1] };
    const listed = await catalogueAnswering(answering(200, { models: [entry] })).list({}, 'r');
    expect(listed).toEqual([{ ...entry, gatewayPrice: { credits: 3, rule: 'flat', source: 'operator' } }]);
  });
});
