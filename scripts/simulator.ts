// Runs the Apiframe simulator on its own: SIM_PORT (4010), SIM_API_KEY (afk_simulator_key),
// SIM_JOB_MS (1000). Point APIFRAME_BASE_URL at it for a local trial.
import { startSimulator } from '../src/simulator/simulator.js';

const simulator = await startSimulator(
  {
    apiKey: process.env.SIM_API_KEY ?? 'afk_simulator_key',
    jobDurationMs: Number(process.env.SIM_JOB_MS ?? 1_000),
    prices: { 'seedream-4': 3 },
    recordRequests: false,
  },
  Number(process.env.SIM_PORT ?? 4010),
  process.env.SIM_HOST ?? '127.0.0.1',
);
process.stdout.write(`Apiframe simulator listening on ${simulator.url}\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void simulator.close().then(() => process.exit(0)));
}
