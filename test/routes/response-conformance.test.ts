// Every answer the gateway gives on Apiframe's routes conforms to Apiframe's spec (the committed
// copy): a table of cases (the one the simulator runs, test/helpers/response-cases.ts, and the
// gateway's own: budgets, scopes, rate limits, idempotency, limits on bodies, upstream faults, a
// store down) drives every route of the spec to every status it can answer, and each body is
// validated with Ajv 2020 against the spec's schema for that route and status. Where the spec
// declares no body for the status, the body is Apiframe's ErrorResponse, and README lists the pair.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APIFRAME_JOB_OPERATIONS, APIFRAME_PRICE_NAMES } from '../../src/schemas/apiframe-spec.js';
import { fileOf, loraForm, uploadForm } from '../helpers/files.js';
import { ADMIN_TOKEN, SEED_BODY, startGateway, type CreatedKey, type TestGateway } from '../helpers/gateway.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import {
  acceptedBodies,
  asCases,
  JOB_ROUTES,
  keyedCalls,
  makeFixtures,
  sharedCases,
  withDirective,
  type Call,
  type Fixtures,
  type ResponseCase,
  type Target,
} from '../helpers/response-cases.js';
import { conformance, SPEC_ROUTES, undeclaredInReadme } from '../helpers/spec-responses.js';

const PRICING = JSON.stringify(Object.fromEntries(APIFRAME_PRICE_NAMES.map((name) => [name, 1_000])));
const ENV = { PRICING, UPSTREAM_TIMEOUT_MS: '1000', BODY_LIMIT_BYTES: '4096' };

let redis: RedisServer;
let gw: TestGateway;
let key: CreatedKey;
/** A gateway that waits for Apiframe 300 ms only, so that its replays of a slow submission give up soon. */
let impatient: TestGateway;
/** A gateway whose Redis is stopped before its cases run. */
let storeDown: { redis: RedisServer; gw: TestGateway; key: CreatedKey };
let cases: (ResponseCase & { target: Target })[];
/** Cases sent while Apiframe answers every call with 500, and while the second gateway's Redis is stopped. */
const APIFRAME_DOWN = 'Apiframe down';
const STORE_DOWN = 'the store down';

function targetOf(gateway: TestGateway, ownKey: () => string): Target {
  return {
    async send(call: Call) {
      const secret = call.key === undefined ? ownKey() : call.key;
      const headers: Record<string, string> = { ...(secret !== null && { 'x-api-key': secret }), ...call.headers };
      let payload = call.raw;
      if (call.json !== undefined) {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(call.json);
      }
      if (call.form) {
        const form = new Request('http://localhost/', { method: 'POST', body: call.form });
        headers['content-type'] = form.headers.get('content-type')!;
        payload = Buffer.from(await form.arrayBuffer());
      }
      const response = await gateway.inject({ method: call.method, url: call.url, headers, payload });
      return { status: response.statusCode, body: response.body === '' ? undefined : response.json() };
    },
  };
}

beforeAll(async () => {
  [redis, storeDown] = await Promise.all([startRedis(), startRedis().then((r) => ({ redis: r }) as typeof storeDown)]);
  gw = await startGateway({ redisUrl: redis.url, env: ENV });
  const storeDownEnv = { ...ENV, REDIS_TIMEOUT_MS: '200' };
  storeDown.gw = await startGateway({ redisUrl: storeDown.redis.url, sim: gw.sim, env: storeDownEnv });
  impatient = await startGateway({ redisUrl: redis.url, sim: gw.sim, env: { ...ENV, UPSTREAM_TIMEOUT_MS: '300' } });
  [key, storeDown.key] = await Promise.all([gw.createKey(), storeDown.gw.createKey()]);
  const target = targetOf(gw, () => key.key);
  const fixtures = await makeFixtures(target);
  const catalogue = (await (await fetch(`${gw.sim.url}/v2/models`)).json()) as { models: [] };
  const bodies = acceptedBodies(fixtures, catalogue.models);
  const keys = await gatewayKeys();
  cases = [
    ...sharedCases(fixtures, bodies).map((c) => ({ ...c, target })),
    ...refusalCases(fixtures, bodies, keys).map((c) => ({ ...c, target })),
    ...(await faultyJobCases(
      fixtures,
      bodies,
      target,
      targetOf(impatient, () => key.key),
    )),
    ...upstreamCases(fixtures).map((c) => ({ ...c, target })),
    ...storeDownCases(fixtures, bodies).map((c) => ({ ...c, target: targetOf(storeDown.gw, () => storeDown.key.key) })),
  ];
}, 60_000);
afterAll(async () => {
  await Promise.all([gw.close(), storeDown.gw.close(), impatient.close()]);
  await Promise.all([redis.destroy(), storeDown.redis.destroy()]);
});

/** Keys that refuse: one with too small a budget, one without the generate scope, one over its rate limits. */
async function gatewayKeys() {
  const team = key.team;
  const [broke, unscoped, limited] = await Promise.all([
    gw.createKey({ team, budget: { credits: 1, period: 'day' } }),
    gw.createKey({ team, scopes: ['usage:read'] }),
    gw.createKey({ team, rateLimit: { generatePerMinute: 1, readsPerMinute: 1 } }),
  ]);
  const spend = targetOf(gw, () => limited.key);
  await spend.send({ method: 'GET', url: '/v2/me' });
  await spend.send({ method: 'POST', url: '/v2/assets/create', json: {} });
  return { broke: broke.key, unscoped: unscoped.key, limited: limited.key };
}
type Keys = Awaited<ReturnType<typeof gatewayKeys>>;

const ACTION_ROUTES = APIFRAME_JOB_OPERATIONS.filter((operation) => operation.tag === 'action').map((o) => o.path);
const UNKNOWN = crypto.randomUUID();
const post = (url: string, bodies: Map<string, unknown>): Call => ({ method: 'POST', url, json: bodies.get(url) });
/** The gateway's own refusals: budgets, scopes, rate limits, Idempotency-Keys and bodies. */
function refusalCases(f: Fixtures, bodies: Map<string, unknown>, keys: Keys): ResponseCase[] {
  const idempotent = (call: Call): Call => ({ ...call, headers: { 'idempotency-key': IDEMPOTENCY_KEY } });
  const orphan = (url: string): Call => ({
    ...post(url, bodies),
    json: { ...(bodies.get(url) as object), parentJobId: UNKNOWN },
  });
  const raw = (url: string, text: string, type: string): Call => ({
    method: 'POST',
    url,
    raw: text,
    headers: { 'content-type': type },
  });
  const tooLarge = JSON.stringify({ prompt: 'x'.repeat(8_192) });
  return asCases(f, [
    ...JOB_ROUTES.map((url): [number, string, Call] => [402, 'over budget', { ...post(url, bodies), key: keys.broke }]),
    [402, 'over budget', { method: 'POST', url: '/v2/loras', form: loraForm(15), key: keys.broke }],
    ...keyedCalls(f, bodies).map((call): [number, string, Call] => [403, 'no scope', { ...call, key: keys.unscoped }]),
    ...keyedCalls(f, bodies).map((call): [number, string, Call] => [
      429,
      'over its limit',
      { ...call, key: keys.limited },
    ]),
    [202, 'a first Idempotency-Key', idempotent({ method: 'POST', url: '/v2/images/generate', json: SEED_BODY })],
    ...JOB_ROUTES.map((url): [number, string, Call] => [409, 'a key reused', idempotent(post(url, bodies))]),
    ...ACTION_ROUTES.map((url): [number, string, Call] => [404, 'a parent not the team’s', orphan(url)]),
    ...JOB_ROUTES.map((url): [number, string, Call] => [413, 'too large', raw(url, tooLarge, 'application/json')]),
    ...JOB_ROUTES.map((url): [number, string, Call] => [415, 'not JSON', raw(url, 'prompt=x', 'text/plain')]),
    [415, 'not JSON', raw('/v2/assets/create', 'url=x', 'text/plain')],
  ]);
}

const IDEMPOTENCY_KEY = crypto.randomUUID();

/**
 * Every job-submitting route with Apiframe failing or too slow (through every replay, on the
 * impatient gateway): the directive in the body's prompts and URLs or, for an action, passed on by
 * the parent job it acts on.
 */
async function faultyJobCases(
  f: Fixtures,
  bodies: Map<string, unknown>,
  target: Target,
  impatientTarget: Target,
): Promise<(ResponseCase & { target: Target })[]> {
  const faults: [number, string, string, Target][] = [
    [502, 'Apiframe failing', '[sim:status=500]', target],
    [504, 'Apiframe too slow', '[sim:latency=3000]', impatientTarget],
  ];
  const cases: (ResponseCase & { target: Target })[] = [];
  for (const [status, why, directive, sentTo] of faults) {
    const parents = await faultyParents(target, directive);
    const calls = JOB_ROUTES.map((url): [number, string, Call] => {
      const body = bodies.get(url) as Record<string, unknown>;
      const json = 'parentJobId' in body ? { ...body, parentJobId: parents[url] } : carrying(body, directive);
      return [status, why, { method: 'POST', url, json }];
    });
    cases.push(...asCases(f, calls).map((c) => ({ ...c, target: sentTo })));
  }
  return cases;
}

/** A Midjourney grid and a Suno song that pass `directive` on to every action on them, by action route. */
async function faultyParents(target: Target, directive: string): Promise<Record<string, string>> {
  const submit = async (url: string, json: unknown) =>
    ((await target.send({ method: 'POST', url, json })).body as { jobId: string }).jobId;
  const grid = { model: 'midjourney', prompt: `a lighthouse [sim:then] ${directive}` };
  const song = { model: 'suno', prompt: `a song about the sea [sim:then] ${directive}` };
  return {
    '/v2/images/midjourney/action': await submit('/v2/images/generate', grid),
    '/v2/music/suno/action': await submit('/v2/music/generate', song),
  };
}

/** `body` with `directive` after each prompt and in each URL's query string, where the simulator reads it. */
function carrying(body: unknown, directive: string, field = ''): unknown {
  if (typeof body === 'string') {
    if (body.startsWith('https://')) return `${body}?sim=${encodeURIComponent(directive)}`;
    return field === 'prompt' ? `${body} ${directive}` : body;
  }
  if (typeof body !== 'object' || body === null) return body;
  return Object.fromEntries(Object.entries(body).map(([name, value]) => [name, carrying(value, directive, name)]));
}

/** Apiframe failing, garbling, slow or refusing, as the gateway passes it on. */
function upstreamCases(f: Fixtures): ResponseCase[] {
  const generate = (json: unknown): Call => ({ method: 'POST', url: '/v2/images/generate', json });
  return asCases(f, [
    [502, 'Apiframe failing', generate(withDirective(503))],
    [503, 'Apiframe out of credits', generate(withDirective(402))],
    ...[
      { method: 'GET', url: '/v2/loras' },
      { method: 'GET', url: `/v2/loras/${f.loraId}` },
      { method: 'GET', url: `/v2/assets/${f.assetId}` },
      { method: 'POST', url: '/v2/uploads', form: uploadForm(fileOf('png')) },
      { method: 'POST', url: '/v2/loras', form: loraForm(15) },
      { method: 'POST', url: '/v2/assets/create', json: { url: f.uploadUrl, type: 'image' } },
    ].map((call): [number, string, Call] => [502, APIFRAME_DOWN, call as Call]),
    // Last: Apiframe's 429 holds every caller back until its Retry-After has passed.
    [429, 'Apiframe over its rate limit', generate(withDirective(429))],
  ]);
}

/**
 * On the second gateway: /v2/me of a key without a budget while Apiframe cannot say what the
 * account has left (its first read), then every keyed route with the store down.
 */
function storeDownCases(f: Fixtures, bodies: Map<string, unknown>): ResponseCase[] {
  return asCases(f, [
    [502, APIFRAME_DOWN, { method: 'GET', url: '/v2/me' }],
    ...keyedCalls(f, bodies).map((call): [number, string, Call] => [503, STORE_DOWN, call]),
  ]);
}

const undeclared = new Set<string>();
const covered = new Set<string>();

describe("the gateway's answers on Apiframe's routes", () => {
  it('are checked by a validator that refuses what the spec does not allow', () => {
    const me = { user: { id: crypto.randomUUID(), email: 'a@b.example', role: 'MEMBER' }, apiKey: null };
    const team = { name: 'design', credits: 0, plan: 'gateway', customerId: null };
    expect(conformance('GET /v2/me', 200, { ...me, team: { ...team, id: crypto.randomUUID() } }).errors).toEqual([]);
    expect(conformance('GET /v2/me', 200, { ...me, team: { ...team, id: 'design' } }).errors).toEqual([
      '/team/id must match format "uuid"',
    ]);
    expect(
      conformance('GET /v2/me', 200, { ...me, team: { ...team, id: crypto.randomUUID(), credits: null } }).errors,
    ).not.toEqual([]);
    expect(conformance('GET /v2/jobs/{id}', 409, { message: 'no error field' })).toMatchObject({ declared: false });
    expect(conformance('GET /v2/jobs/{id}', 409, { message: 'no error field' }).errors).not.toEqual([]);
  });

  it("each conform to Apiframe's spec for their route and status", async () => {
    const failures: string[] = [];
    for (const { route, status, why, call, target } of cases) {
      if (why === STORE_DOWN) await storeDown.redis.stop();
      if (why === APIFRAME_DOWN) gw.sim.failAll(500);
      const answer = await target.send(call).finally(() => gw.sim.failAll(null));
      const { declared, errors } = conformance(route, answer.status, answer.body);
      covered.add(`${route} ${answer.status}`);
      if (!declared) undeclared.add(`${route} ${answer.status}`);
      if (answer.status !== status || errors.length > 0)
        failures.push(
          `${route} ${status} (${why}): ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 300)} ${errors}`,
        );
    }
    expect(failures).toEqual([]);
  });

  it('answer /v2/me as the spec says for every kind of key', async () => {
    const team = `${key.team}-budgeted`;
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const created = await gw.inject({
      method: 'POST',
      url: '/admin/teams',
      headers: admin,
      payload: { id: team, budget: { credits: 50, period: 'month' } },
    });
    expect(created.statusCode, created.body).toBe(201);
    const kinds = await Promise.all([
      gw.createKey(),
      gw.createKey({ budget: { credits: 0, period: 'total' } }),
      gw.createKey({ team }),
      gw.createKey({ team, budget: { credits: 80, period: 'day' }, scopes: ['generate', 'usage:read:all', 'admin'] }),
      gw.createKey({ allowedModels: ['seedream-4'], expiresAt: '2099-01-01T00:00:00.000Z' }),
    ]);
    for (const kind of kinds) {
      const me = await targetOf(gw, () => kind.key).send({ method: 'GET', url: '/v2/me' });
      expect(me.status).toBe(200);
      expect(conformance('GET /v2/me', 200, me.body).errors, JSON.stringify(me.body)).toEqual([]);
      expect(me.body).toMatchObject({ team: { id: await gw.teamUuid(kind.team), name: kind.team } });
    }
  });

  it('answer every route of the spec, with a success and a refusal', () => {
    for (const route of SPEC_ROUTES) {
      const statuses = [...covered].filter((pair) => pair.startsWith(`${route} `)).map((pair) => pair.at(-3));
      expect(statuses, route).toEqual(expect.arrayContaining(['2', '4']));
    }
  });

  it('use statuses the spec does not declare only where README lists them, always in its error shape', () => {
    expect([...undeclared].sort()).toEqual(undeclaredInReadme(join(import.meta.dirname, '../../README.md')).sort());
  });
});
