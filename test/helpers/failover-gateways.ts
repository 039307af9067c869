// The set-up both failover tests share: a Redis deployment, the simulator, an in-process gateway
// for administration and the audit, and two gateway processes taking the load, all on the
// deployment's settings; started before the file's tests and stopped after.
import { afterAll, beforeAll } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.js';
import { startGateway, UPSTREAM_KEY, type TestGateway } from './gateway.js';

export const FAILOVER_REQUESTS = Number(process.env.FAILOVER_REQUESTS ?? 300);
export const FAILOVER_CONCURRENCY = 48;
/** How long the primary goes on answering with its replicas cut off before it is killed. */
export const REPLICA_LAG_MS = 300;
/** The shortest lease the configuration accepts with these timeouts (requests caught in the kill leave theirs open). */
const TIMEOUTS = { REDIS_TIMEOUT_MS: '500', UPSTREAM_TIMEOUT_MS: '1000', RESERVATION_LEASE_MS: '6500' };

export interface FailoverGateways<D> {
  deployment: D;
  sim: Simulator;
  admin: TestGateway;
  gateways: GatewayProcess[];
}

export function failoverGateways<D extends { destroy(): Promise<void> }>(
  startDeployment: () => Promise<D>,
  redisSettings: (deployment: D) => Record<string, string>,
): FailoverGateways<D> {
  const context = {} as FailoverGateways<D>;
  beforeAll(async () => {
    context.deployment = await startDeployment();
    context.sim = await startSimulator({ apiKey: UPSTREAM_KEY, jobDurationMs: 0, prices: { 'seedream-4': 3 } });
    const env = {
      ...redisSettings(context.deployment),
      APIFRAME_API_KEY: UPSTREAM_KEY,
      APIFRAME_BASE_URL: context.sim.url,
      ...TIMEOUTS,
      // Passes every second: a job whose check failed (Apiframe, here the busy test process, too
      // slow) is checked again a second later, not five, when the audit waits for settlement.
      RECONCILE_INTERVAL_MS: '1000',
    };
    context.admin = await startGateway({ sim: context.sim, env });
    const processEnv = { ...env, LOG_LEVEL: 'fatal' };
    context.gateways = await Promise.all([startGatewayProcess(processEnv), startGatewayProcess(processEnv)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all((context.gateways ?? []).map((gateway) => gateway.stop()));
    await context.admin?.close();
    await context.sim?.close();
    await context.deployment?.destroy();
  });
  return context;
}
