// Load and accounts for the failover tests: teams and keys on budgets that run out, a stream of
// generates and polls over several gateway processes that runs until stopped, and the audit
// afterwards (every accepted job recorded and settled once; ledger, aggregates, key and team
// spends and Apiframe's charges agree; credits lost and double-charged, job by job).
import { expect } from 'vitest';
import { windowsAt } from '../../src/domain/budgets.js';
import type { Simulator } from '../../src/simulator/simulator.js';
import type { GatewayProcess } from './gateway-process.js';
import { ADMIN_TOKEN, SEED_BODY, uniqueTeam, type CreatedKey, type TestGateway } from './gateway.js';

/** Every job costs 3 credits once COMPLETED (the simulator's price for seedream-4), 0 otherwise. */
export const JOB_PRICE = 3;
const MIX = [...Array(7).fill('ok'), 'x [sim:fail]', 'x [sim:cancel]', 'x [sim:status=500]'];
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

export interface BudgetedKeys {
  teams: { id: string; budget: number }[];
  keys: { key: CreatedKey; budget: number | null }[];
}

/** Two teams with budgets of `teamBudgets` credits, and 8 keys, every fourth with a budget of its own. */
export async function createBudgetedKeys(gateway: TestGateway, teamBudgets: [number, number]): Promise<BudgetedKeys> {
  const teams = teamBudgets.map((budget) => ({ id: uniqueTeam(), budget }));
  for (const { id, budget } of teams) {
    const payload = { id, budget: { credits: budget, period: 'day' } };
    const response = await gateway.inject({ method: 'POST', url: '/admin/teams', headers: admin, payload });
    expect(response.statusCode, response.body).toBe(201);
  }
  const keys: BudgetedKeys['keys'] = [];
  for (let i = 0; i < 8; i++) {
    const budget = i % 4 === 0 ? Math.round(teamBudgets[i % 2]! / 6) : null;
    const team = teams[i % 2]!.id;
    keys.push({ key: await gateway.createKey({ team, budget: budget && { credits: budget, period: 'day' } }), budget });
  }
  return { teams, keys };
}

export interface Answer {
  sentAt: number;
  answeredAt: number;
  status: number;
  /** Which of the gateways answered (its index). */
  gateway: number;
  request: 'generate' | 'poll';
}

export interface RunningLoad {
  statuses: Record<number, number>;
  answers: Answer[];
  /** Jobs answered 202, with their team. */
  accepted: { team: string; jobId: string }[];
  /** Waits until `count` requests have been answered. */
  answered(count: number): Promise<void>;
  stop(): Promise<void>;
}

/** Generates (and polls every third accepted job) from `concurrency` clients until stopped. */
export function startLoad(gateways: GatewayProcess[], { keys }: BudgetedKeys, concurrency: number): RunningLoad {
  const load: Omit<RunningLoad, 'answered' | 'stop'> = { statuses: {}, answers: [], accepted: [] };
  let running = true;
  let next = 0;
  const note = (answer: Answer) => {
    load.statuses[answer.status] = (load.statuses[answer.status] ?? 0) + 1;
    load.answers.push(answer);
  };
  async function client(): Promise<void> {
    while (running) {
      const n = next++;
      const { key } = keys[n % keys.length]!;
      const index = n % gateways.length;
      const gateway = gateways[index]!;
      const sentAt = Date.now();
      const response = await fetch(`${gateway.url}/v2/images/generate`, {
        method: 'POST',
        headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
        body: JSON.stringify({ ...SEED_BODY, prompt: MIX[(n * 7) % MIX.length] }),
      });
      const answer = (await response.json()) as { jobId?: string };
      note({ sentAt, answeredAt: Date.now(), status: response.status, gateway: index, request: 'generate' });
      if (response.status !== 202) continue;
      load.accepted.push({ team: key.team, jobId: answer.jobId! });
      if (n % 3 !== 0) continue;
      const polledAt = Date.now();
      const poll = await fetch(`${gateway.url}/v2/jobs/${answer.jobId}`, { headers: { 'x-api-key': key.key } });
      await poll.arrayBuffer();
      note({ sentAt: polledAt, answeredAt: Date.now(), status: poll.status, gateway: index, request: 'poll' });
    }
  }
  const clients = Promise.all(Array.from({ length: concurrency }, client));
  return {
    ...load,
    async answered(count) {
      while (load.answers.length < count) await new Promise((resolve) => setTimeout(resolve, 20));
    },
    async stop() {
      running = false;
      await clients;
    },
  };
}

/** Milliseconds from `since` until a generate sent after it was accepted (by `gateway`, or any). */
export function firstAcceptedAfter(answers: Answer[], since: number, gateway?: number): number | null {
  const accepted = answers.filter(
    (answer) =>
      answer.sentAt >= since &&
      answer.request === 'generate' &&
      answer.status === 202 &&
      (gateway === undefined || answer.gateway === gateway),
  );
  if (accepted.length === 0) return null;
  return Math.min(...accepted.map((answer) => answer.answeredAt)) - since;
}

/**
 * Runs reconciler passes until every accepted job is recorded and settled and no reservation is
 * left open, or `timeoutMs` passed (the audit then says what is missing).
 */
export async function settleEverything(gateway: TestGateway, load: RunningLoad, timeoutMs: number): Promise<void> {
  const store = gateway.app.services.store;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await gateway.app.services.backgroundSettlement.settleOnce().catch(() => undefined);
    const records = await Promise.all(load.accepted.map(({ team, jobId }) => store.getJob(team, jobId)));
    const open = await Promise.all(
      [...new Set(load.accepted.map(({ team }) => team))].map((team) =>
        store.expiredReservations(team, Number.MAX_SAFE_INTEGER, 1),
      ),
    );
    const done =
      records.every((record) => record?.state === 'settled') &&
      (await store.pendingJobCount()) === 0 &&
      open.every((reservations) => reservations.length === 0);
    if (done || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export interface Audit {
  ledger: number;
  aggregates: number;
  keys: number;
  teams: number;
  charged: number;
  /** Credits Apiframe charged for a job that the gateway did not bill. */
  lost: number;
  /** Credits the gateway billed beyond what Apiframe charged. */
  doubleCharged: number;
  /** Jobs answered 202 that have no record, or more or fewer than one settlement entry. */
  notSettledOnce: string[];
  /** Keys and teams whose spend is above their budget. */
  overBudget: string[];
}

/** Every account of the credits, after the dust settled. */
export async function auditAccounts(gateway: TestGateway, sim: Simulator, budgeted: BudgetedKeys, load: RunningLoad) {
  const store = gateway.app.services.store;
  const windows = windowsAt(Date.now());
  const ledgerEntries = (
    await Promise.all(budgeted.teams.map(({ id }) => store.readLedger(id, null, 1_000_000)))
  ).flat();
  const settlements = new Map<string, number>();
  for (const entry of ledgerEntries)
    if (entry.kind === 'settle' || entry.kind === 'refund')
      settlements.set(entry.jobId, (settlements.get(entry.jobId) ?? 0) + 1);

  const audit: Audit = {
    ledger: 0,
    aggregates: 0,
    keys: 0,
    teams: 0,
    charged: 0,
    lost: 0,
    doubleCharged: 0,
    notSettledOnce: [],
    overBudget: [],
  };
  audit.ledger = ledgerEntries.reduce((sum, entry) => sum + entry.credits, 0);
  audit.charged = sim.chargedCredits();
  for (const { key, budget } of budgeted.keys) {
    const spent = (await store.spend({ team: key.team, keyId: key.id, windows })).key.total!;
    audit.keys += spent;
    if (budget !== null && spent > budget) audit.overBudget.push(`key ${key.id}: ${spent} of ${budget}`);
  }
  for (const { id, budget } of budgeted.teams) {
    const spent = (await store.spend({ team: id, windows })).team.total!;
    audit.teams += spent;
    if (spent > budget) audit.overBudget.push(`team ${id}: ${spent} of ${budget}`);
  }
  const teamIds = new Set(budgeted.teams.map(({ id }) => id));
  const report = (
    await gateway.inject({ method: 'GET', url: '/admin/usage?groupBy=team,key,day', headers: admin })
  ).json();
  for (const row of report.rows as { team: string; credits: number }[])
    if (teamIds.has(row.team)) audit.aggregates += row.credits;

  // Job by job: what Apiframe charged against what the gateway billed.
  const jobs = new Map(load.accepted.map(({ team, jobId }) => [jobId, team]));
  for (const entry of ledgerEntries) if (entry.jobId) jobs.set(entry.jobId, entry.team);
  let chargedForKnownJobs = 0;
  for (const [jobId, team] of jobs) {
    const charge = sim.jobStatus(jobId) === 'COMPLETED' ? JOB_PRICE : 0;
    chargedForKnownJobs += charge;
    const billed = (await store.getJob(team, jobId))?.charged ?? 0;
    audit.lost += Math.max(0, charge - billed);
    audit.doubleCharged += Math.max(0, billed - charge);
  }
  // A job Apiframe charged that neither a 202 nor the ledger names is lost too.
  audit.lost += audit.charged - chargedForKnownJobs;
  for (const { team, jobId } of load.accepted) {
    const record = await store.getJob(team, jobId);
    if (record?.state !== 'settled' || settlements.get(jobId) !== 1) audit.notSettledOnce.push(jobId);
  }
  return audit;
}
