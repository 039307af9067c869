// Builds the gateway in-process against the simulator (and Redis when a URL is given),
// captures every log line, and checks on close that no secret reached a log or a response.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Clock } from '../../src/services/clock.js';
import { BUDGET_PERIODS, windowOf, type BudgetPeriod } from '../../src/domain/budgets.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/simulator.js';
import { startRedis, type RedisServer } from './redis-server.js';

export const UPSTREAM_KEY = `afk_test_UPSTREAM_SECRET_${randomBytes(8).toString('hex')}`;
export const ADMIN_TOKEN = `admin-token-${randomBytes(12).toString('hex')}`;

/** Tests drive keys far harder than people do; the rate-limit tests set limits of their own. */
export const NO_RATE_LIMITS = { RATE_LIMIT_GENERATE_PER_MINUTE: '0', RATE_LIMIT_READS_PER_MINUTE: '0' };
/** Test gateways do not shed load unless a test asks: a busy CI machine is not what they test. */
export const NO_LOAD_SHEDDING = { MAX_EVENT_LOOP_DELAY_MS: '0' };
/** Test gateways price by the operator's PRICING alone unless a test asks for Apiframe's catalogue prices. */
export const OPERATOR_PRICES_ONLY = { CATALOGUE_REFRESH_MS: '0' };

export const SEED_BODY = {
  prompt: 'a detailed architectural blueprint of a modern glass house',
  model: 'seedream-4',
  seedreamParams: { size: '4K', aspect_ratio: '16:9' },
};

export interface TestClock extends Clock {
  set(iso: string): void;
  advance(ms: number): void;
}

export function testClock(startIso = '2026-11-25T12:00:00.000Z'): TestClock {
  let now = Date.parse(startIso);
  const clock = (() => now) as TestClock;
  clock.set = (iso) => {
    now = Date.parse(iso);
  };
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}

export interface CreatedKey {
  id: string;
  key: string;
  team: string;
  name: string;
  prefix: string;
}

export interface GatewayOptions {
  redisUrl?: string;
  simulator?: Partial<SimulatorOptions>;
  /** Reuse a running simulator instead of starting one. */
  sim?: Simulator;
  env?: Record<string, string>;
  clock?: Clock;
  reconcile?: boolean;
}

export interface TestGateway {
  app: FastifyInstance;
  sim: Simulator;
  logs: string[];
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  createKey(body?: Record<string, unknown>): Promise<CreatedKey>;
  generate(key: string, body?: unknown): Promise<LightMyRequestResponse>;
  poll(key: string, jobId: string): Promise<LightMyRequestResponse>;
  /** The team's UUID, as the admin API shows it. */
  teamUuid(team: string): Promise<string>;
  /** Credits counted for the key in its current day, month and total windows, by period name. */
  spend(key: CreatedKey): Promise<Record<BudgetPeriod, number>>;
  close(): Promise<void>;
}

let teamCounter = 0;
export function uniqueTeam(): string {
  return `team-${process.pid}-${++teamCounter}-${randomBytes(3).toString('hex')}`;
}

/** Asserts that none of `secrets` appears in `text`. */
export function expectNoSecrets(text: string, secrets: string[], where: string): void {
  for (const secret of secrets) {
    if (text.includes(secret)) expect.fail(`a secret (${secret.slice(0, 6)}…) appeared in ${where}`);
  }
}

export async function startGateway(options: GatewayOptions = {}): Promise<TestGateway> {
  const sim =
    options.sim ??
    (await startSimulator({
      apiKey: UPSTREAM_KEY,
      jobDurationMs: 0,
      prices: { 'seedream-4': 3 },
      ...options.simulator,
    }));
  const logs: string[] = [];
  const teamKeys: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const config = loadConfig({
    APIFRAME_API_KEY: UPSTREAM_KEY,
    APIFRAME_BASE_URL: sim.url,
    ADMIN_TOKEN,
    LOG_LEVEL: 'info',
    ...NO_RATE_LIMITS,
    ...NO_LOAD_SHEDDING,
    ...OPERATOR_PRICES_ONLY,
    ...(options.redisUrl && { REDIS_URL: options.redisUrl }),
    ...options.env,
  });
  const clock = options.clock ?? (() => Date.now());
  const app = await buildApp(config, { clock, logDestination: destination, reconcile: options.reconcile ?? false });
  await app.ready();
  // Start from a connected store, as an orchestrator would after /readyz (a new Cluster with
  // replicas can take a busy machine well over 5 s to settle: up to 30 s).
  for (let attempt = 0; ; attempt++) {
    const unavailable = await app.services.store.unavailability();
    if (unavailable === null) break;
    if (attempt > 1_200) throw new Error(`the store did not become ready: ${unavailable}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }

  async function inject(request: InjectOptions): Promise<LightMyRequestResponse> {
    const response = await app.inject(request);
    const seen = response.body + JSON.stringify(response.headers);
    expectNoSecrets(seen, [UPSTREAM_KEY], `the response to ${request.method} ${request.url}`);
    return response;
  }

  return {
    app,
    sim,
    logs,
    inject,
    async createKey(body = {}) {
      const response = await inject({
        method: 'POST',
        url: '/admin/keys',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { name: 'test key', team: uniqueTeam(), ...body },
      });
      expect(response.statusCode, response.body).toBe(201);
      const created = response.json<CreatedKey>();
      teamKeys.push(created.key);
      return created;
    },
    generate: (key, body = SEED_BODY) =>
      inject({ method: 'POST', url: '/v2/images/generate', headers: { 'x-api-key': key }, payload: body as object }),
    poll: (key, jobId) => inject({ method: 'GET', url: `/v2/jobs/${jobId}`, headers: { 'x-api-key': key } }),
    async teamUuid(team) {
      const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const response = await inject({ method: 'GET', url: `/admin/teams/${team}`, headers });
      expect(response.statusCode, response.body).toBe(200);
      return response.json().uuid;
    },
    async spend(key) {
      const now = clock();
      const windows = BUDGET_PERIODS.map((period) => windowOf(period, now));
      const spend = await app.services.store.spend({ team: key.team, keyId: key.id, windows });
      return Object.fromEntries(BUDGET_PERIODS.map((period, i) => [period, spend.key[windows[i]!] ?? 0])) as Record<
        BudgetPeriod,
        number
      >;
    },
    async close() {
      await app.close();
      if (!options.sim) await sim.close();
      expectNoSecrets(logs.join('\n'), [UPSTREAM_KEY, ADMIN_TOKEN, ...teamKeys], 'the gateway log');
      for (const request of sim.requests) {
        expectNoSecrets(JSON.stringify(request), [ADMIN_TOKEN, ...teamKeys], 'a request sent upstream');
      }
    },
  };
}

/** A test file's gateway on its own redis-server, started before its tests and stopped after. */
export function gatewayOnRedis(options: Omit<GatewayOptions, 'redisUrl'> = {}): {
  gw: TestGateway;
  redis: RedisServer;
} {
  const context = {} as { gw: TestGateway; redis: RedisServer };
  beforeAll(async () => {
    context.redis = await startRedis();
    context.gw = await startGateway({ ...options, redisUrl: context.redis.url });
  });
  afterAll(async () => {
    await context.gw.close();
    await context.redis.destroy();
  });
  return context;
}

/**
 * A test file's two gateway instances sharing one redis-server and one simulator, and, when asked,
 * a third on the embedded store: started before its tests and stopped after.
 */
export function gatewaysSharingRedis(options: Pick<GatewayOptions, 'env' | 'clock'> = {}) {
  const context = {} as { redis: RedisServer; sim: Simulator; first: TestGateway; second: TestGateway };
  beforeAll(async () => {
    context.redis = await startRedis();
    context.sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0, prices: { 'seedream-4': 3 } });
    context.first = await startGateway({ ...options, sim: context.sim, redisUrl: context.redis.url });
    context.second = await startGateway({ ...options, sim: context.sim, redisUrl: context.redis.url });
  });
  afterAll(async () => {
    for (const gw of [context.first, context.second]) await gw.close();
    await context.sim.close();
    await context.redis.destroy();
  });
  return context;
}
