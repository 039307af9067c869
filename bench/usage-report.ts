// `npm run bench:usage`: writes 1,000,000 ledger entries for one month through the real Lua
// scripts (5 teams × 20 keys, completed, failed and refused jobs) into a fresh redis-server,
// then times the usage report under every grouping. A benchmark, not a test: it only prints.
import { randomUUID } from 'node:crypto';
import { windowsAt } from '../src/domain/budgets.js';
import { connectRedis } from '../src/services/store/redis-connection.js';
import { createRedisStore } from '../src/services/store/redis-store.js';
import { createUsageReports, type UsageReport } from '../src/services/usage-report.js';
import { startRedis } from '../test/helpers/redis-server.js';

const TARGET_ENTRIES = Number(process.env.ENTRIES ?? 1_000_000);
const TEAMS = Array.from({ length: 5 }, (_, i) => `team-${i}`);
const KEYS = TEAMS.flatMap((team) => Array.from({ length: 20 }, () => ({ team, id: randomUUID() })));
const MONTH_START = Date.parse('2026-11-01T00:00:00Z');
const BATCH = 2_000;

const redis = await startRedis();
const client = connectRedis({ url: redis.url, commandTimeoutMs: 30_000 });
const store = createRedisStore(client, { ledgerRetentionMs: 400 * 86_400_000 });
const usage = createUsageReports(store);
for (const team of TEAMS) await client.sadd('gw:{keys}:teams', team);

/** One generation: reserve, then attach and settle (2 entries) or release (2 entries). */
async function generation(n: number): Promise<void> {
  const key = KEYS[n % KEYS.length]!;
  const now = MONTH_START + (Math.floor(n / KEYS.length) % 30) * 86_400_000 + ((n * 7_919) % 86_400_000);
  const windows = windowsAt(now);
  const base = { team: key.team, requestId: `bench-${n}`, now };
  const reservationId = randomUUID();
  const price = { model: 'seedream-4', credits: 3, keyBudget: null, teamBudget: null };
  await store.reserve({ ...base, ...price, reservationId, keyId: key.id, windows, leaseUntil: now + 60_000 });
  if (n % 10 === 9) {
    await store.release({ ...base, reservationId, day: windows[0]!, why: 'upstream timeout' });
    return;
  }
  const jobId = randomUUID();
  await store.attachJob({ ...base, ...price, reservationId, jobId, keyId: key.id, windows });
  const failed = n % 10 === 8;
  await store.settle({
    ...base,
    jobId,
    day: windows[0]!,
    status: failed ? 'FAILED' : 'COMPLETED',
    credits: failed ? 0 : 3,
    finalBody: '{}',
  });
}

const started = Date.now();
const generations = TARGET_ENTRIES / 2;
for (let first = 0; first < generations; first += BATCH) {
  await Promise.all(Array.from({ length: Math.min(BATCH, generations - first) }, (_, i) => generation(first + i)));
  if ((first / BATCH) % 50 === 0) process.stderr.write(`\r${first * 2} entries written`);
}
const seedSeconds = (Date.now() - started) / 1000;
const entries = (await Promise.all(TEAMS.map((team) => client.xlen(`gw:{t:${team}}:ledger`)))).reduce(
  (a, b) => a + b,
  0,
);
process.stderr.write(`\r${entries} ledger entries written in ${seedSeconds.toFixed(1)} s through the Lua scripts\n`);

const rows: string[] = [];
for (const groupBy of [['team'], ['key'], ['model'], ['day'], ['team', 'key', 'model', 'day']] as const) {
  const timings: number[] = [];
  let report: UsageReport | undefined;
  for (let run = 0; run < 7; run++) {
    const t0 = performance.now();
    report = await usage.report({ from: '2026-11-01', to: '2026-11-30', groupBy: [...groupBy] });
    timings.push(performance.now() - t0);
  }
  timings.sort((a, b) => a - b);
  rows.push(
    `| ${groupBy.join(',')} | ${report!.rows.length} | ${report!.totals.credits} | ${timings[3]!.toFixed(1)} ms | ${timings.at(-1)!.toFixed(1)} ms |`,
  );
}
process.stdout.write(
  [
    `Usage report over one month of ${entries.toLocaleString('en-US')} ledger entries (5 teams, 100 keys, 30 days)`,
    '',
    '| groupBy | rows | credits | median | slowest of 7 |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n'),
);
// The store holds a subscriber connection of its own (change notifications): left open, it keeps
// reconnecting to the stopped server and the process never exits.
await store.close();
await redis.destroy();
