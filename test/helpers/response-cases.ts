// The answers every Apiframe route can give, as a table both the gateway and the simulator are
// driven through (response-conformance tests): each case a route of the spec, the status it must
// answer, and the request that makes it. `Target` hides whether the answer comes from the gateway
// (app.inject with a team key) or the simulator (HTTP with the upstream key).
import { APIFRAME_JOB_OPERATIONS } from '../../src/schemas/apiframe-spec.js';
import { loraForm, uploadForm, fileOf } from './files.js';
import { SEED_BODY } from './gateway.js';
import { minimalBodies } from './spec-bodies.js';

export interface Call {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  /** The API key to send: the target's own unless null (none) or another key. */
  key?: string | null;
  json?: unknown;
  form?: FormData;
  /** A raw body, sent with `headers` as they are. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  body: unknown;
}

export interface Target {
  send(call: Call): Promise<Answer>;
}

export interface ResponseCase {
  /** `METHOD /path` as the spec names the route. */
  route: string;
  status: number;
  why: string;
  call: Call;
}

/**
 * What the cases act on, made through the target first: a job, a grid and a song to act on, an
 * upload, a LoRA and an asset.
 */
export interface Fixtures {
  jobId: string;
  gridId: string;
  songId: string;
  uploadUrl: string;
  loraId: string;
  assetId: string;
}

const UNKNOWN = '9a0b1c2d-3e4f-4a5b-8c7d-0e1f2a3b4c5d';

async function accepted(target: Target, call: Call, status: number, field: string): Promise<string> {
  const answer = await target.send(call);
  if (answer.status !== status) throw new Error(`${call.method} ${call.url}: ${JSON.stringify(answer)}`);
  return (answer.body as Record<string, string>)[field]!;
}

export async function makeFixtures(target: Target): Promise<Fixtures> {
  const submit = (url: string, json: unknown) => accepted(target, { method: 'POST', url, json }, 202, 'jobId');
  const uploaded = { method: 'POST', url: '/v2/uploads', form: uploadForm(fileOf('png')) } as const;
  const uploadUrl = await accepted(target, uploaded, 201, 'url');
  const asset = { method: 'POST', url: '/v2/assets/create', json: { url: uploadUrl, type: 'image' } } as const;
  return {
    jobId: await submit('/v2/images/generate', SEED_BODY),
    gridId: await submit('/v2/images/generate', { model: 'midjourney', prompt: 'a lighthouse' }),
    songId: await submit('/v2/music/generate', { model: 'suno', prompt: 'a song about the sea' }),
    uploadUrl,
    loraId: await accepted(target, { method: 'POST', url: '/v2/loras', form: loraForm(15) }, 202, 'id'),
    assetId: await accepted(target, asset, 201, 'assetId'),
  };
}

/** A body each job-submitting route accepts, runnable by the simulator, by path. */
export function acceptedBodies(f: Fixtures, catalogue: { id: string; operation: string }[]): Map<string, unknown> {
  return new Map(
    APIFRAME_JOB_OPERATIONS.map((operation) => {
      const bodies = minimalBodies(operation);
      if (operation.path === '/v2/images/midjourney/action')
        return [operation.path, { action: 'upsample', index: 1, parentJobId: f.gridId }];
      if (operation.tag === 'action')
        return [operation.path, { ...bodies.values().next().value, parentJobId: f.songId }];
      const model = catalogue.find(
        (entry) =>
          `/v2/${entry.operation}` === operation.path && !JSON.stringify(bodies.get(entry.id)).includes('loraId'),
      )!.id;
      return [operation.path, bodies.get(model)];
    }),
  );
}

/** A body whose submission Apiframe answers with `status`. */
export const withDirective = (status: number) => ({
  ...SEED_BODY,
  prompt: `${SEED_BODY.prompt} [sim:status=${status}]`,
});

export const JOB_ROUTES = APIFRAME_JOB_OPERATIONS.map((operation) => operation.path);

/** A call to every route that takes a key, as it succeeds with the target's own (the LoRA deleted last). */
export function keyedCalls(f: Fixtures, bodies: Map<string, unknown>): Call[] {
  return [
    ...JOB_ROUTES.map((url): Call => ({ method: 'POST', url, json: bodies.get(url) })),
    { method: 'GET', url: '/v2/jobs' },
    { method: 'GET', url: `/v2/jobs/${f.jobId}` },
    { method: 'GET', url: '/v2/loras' },
    { method: 'GET', url: `/v2/loras/${f.loraId}` },
    { method: 'GET', url: `/v2/assets/${f.assetId}` },
    { method: 'GET', url: '/v2/me' },
    { method: 'POST', url: '/v2/uploads', form: uploadForm(fileOf('png')) },
    { method: 'POST', url: '/v2/loras', form: loraForm(15) },
    { method: 'POST', url: '/v2/assets/create', json: { url: f.uploadUrl, type: 'image' } },
    { method: 'DELETE', url: `/v2/loras/${f.loraId}` },
  ];
}

/** The spec's name of the route `call` is sent to. */
export function routeOf(f: Fixtures, call: Call): string {
  const path = call.url
    .split('?')[0]!
    .replace(f.jobId, '{id}')
    .replace(f.loraId, '{id}')
    .replace(f.assetId, '{assetId}')
    .replace(UNKNOWN, call.url.includes('assets') ? '{assetId}' : '{id}')
    .replace('not-a-uuid', '{id}');
  return `${call.method} ${path}`;
}

/** Cases from `[status, why, call]` rows. */
export const asCases = (f: Fixtures, rows: [number, string, Call][]): ResponseCase[] =>
  rows.map(([status, why, call]) => ({ route: routeOf(f, call), status, why, call }));

const SUCCESS: Record<string, number> = { GET: 200, POST: 202, DELETE: 204 };
const successOf = (call: Call) =>
  call.url.endsWith('/create') || call.url.endsWith('/uploads') ? 201 : SUCCESS[call.method]!;

/** The cases both the gateway and the simulator answer alike, on every route of the spec. */
export function sharedCases(f: Fixtures, bodies: Map<string, unknown>): ResponseCase[] {
  const keyed = keyedCalls(f, bodies);
  const calls: [number, string, Call][] = [
    ...keyed.map((call): [number, string, Call] => [successOf(call), 'the answer it is for', call]),
    [200, 'the catalogue, public', { method: 'GET', url: '/v2/models', key: null }],
    ...keyed.map((call): [number, string, Call] => [401, 'no key', { ...call, key: null }]),
    ...JOB_ROUTES.map((url): [number, string, Call] => [400, 'an empty body', { method: 'POST', url, json: {} }]),
    [400, 'a limit out of range', { method: 'GET', url: '/v2/jobs?limit=0' }],
    [400, 'an id not a uuid', { method: 'GET', url: '/v2/jobs/not-a-uuid' }],
    [400, 'an unknown modality', { method: 'GET', url: '/v2/models?modality=smell', key: null }],
    [400, 'no file', { method: 'POST', url: '/v2/uploads', form: uploadForm(undefined) }],
    [400, 'too few images', { method: 'POST', url: '/v2/loras', form: loraForm(3) }],
    [400, 'an id not a uuid', { method: 'GET', url: '/v2/loras/not-a-uuid' }],
    [400, 'an id not a uuid', { method: 'DELETE', url: '/v2/loras/not-a-uuid' }],
    [400, 'no url', { method: 'POST', url: '/v2/assets/create', json: { type: 'image' } }],
    [404, 'an unknown job', { method: 'GET', url: `/v2/jobs/${UNKNOWN}` }],
    [404, 'an unknown LoRA', { method: 'GET', url: `/v2/loras/${UNKNOWN}` }],
    [404, 'an unknown LoRA', { method: 'DELETE', url: `/v2/loras/${UNKNOWN}` }],
    [404, 'an unknown asset', { method: 'GET', url: `/v2/assets/${UNKNOWN}` }],
  ];
  return asCases(f, calls);
}

/** Cases only the simulator gives as such: Apiframe's own refusals, asked for by a directive. */
export function simulatorRefusals(): ResponseCase[] {
  return [400, 401, 402, 429, 503].map((status) => ({
    route: 'POST /v2/images/generate',
    status,
    why: `Apiframe answering ${status}`,
    call: { method: 'POST', url: '/v2/images/generate', json: withDirective(status) },
  }));
}
