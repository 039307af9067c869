// The job pipeline for tests that drive it directly: the store in memory and a stand-in for
// Apiframe that accepts every job and keeps what it was sent, and a caller of a given team.
import { randomUUID } from 'node:crypto';
import type { Caller } from '../../src/services/caller.js';
import type { Pricing } from '../../src/services/job-operation.js';
import { createJobRecording } from '../../src/services/job-recording.js';
import { createJobReservation } from '../../src/services/job-reservation.js';
import { createJobSettlement } from '../../src/services/job-settlement.js';
import { createJobSubmission } from '../../src/services/job-submission.js';
import { operatorPricing } from '../../src/schemas/pricing-file.js';
import { pricesOf } from '../../src/services/prices.js';
import { createMemoryStore } from '../../src/services/store/memory-store.js';
import type { Store } from '../../src/services/store/store.js';
import type { UpstreamClient } from '../../src/services/upstream.js';
import { createUpstreamPause } from '../../src/services/upstream-pause.js';
import { keyRecord } from '../services/store/stores.js';

export interface SentJob {
  path: string;
  body: Record<string, unknown>;
  operation: string;
}

export interface TestPipeline {
  store: Store;
  /** Every submission that reached the stand-in for Apiframe, in order. */
  sent: SentJob[];
  submissions: ReturnType<typeof createJobSubmission>;
}

export function testCaller(team: string, allowedModels: string[] | null = null): Caller {
  return { key: keyRecord(team, { allowedModels }), teamBudget: null };
}

export function startTestPipeline(pricing: Pricing): TestPipeline {
  const store = createMemoryStore({ ledgerRetentionMs: 86_400_000 });
  const sent: SentJob[] = [];
  const upstream = {
    submitJob: async (path: string, body: string, _requestId: string, { operation }: { operation: string }) => {
      sent.push({ path, body: JSON.parse(body), operation });
      return { status: 202, retryAfter: undefined, body: JSON.stringify({ jobId: randomUUID(), status: 'QUEUED' }) };
    },
  } as unknown as UpstreamClient;
  const logger = { warn: () => undefined, error: () => undefined };
  const metrics = { credits: () => undefined };
  const clock = () => Date.now();
  const submissions = createJobSubmission({
    store,
    upstream,
    // The operator's prices alone, as when Apiframe's catalogue is known to price none of these.
    prices: {
      current: async () =>
        pricesOf({ rules: operatorPricing(pricing, undefined, undefined).rules, ceilings: {} }, new Map()),
    },
    clock,
    reservationLeaseMs: 30_000,
    maxQueueMs: 1_000,
    webhooks: { checkCallerUrl: async () => undefined, relayUrl: (team) => `https://gateway.example/hooks/${team}` },
    reservation: createJobReservation({ store, clock, reservationLeaseMs: 30_000, logger, metrics }),
    settlement: createJobSettlement({ store, clock, logger, metrics }),
    recording: createJobRecording({ store, logger, metrics }),
    pause: createUpstreamPause(store),
    logger,
    metrics: { submissionReplay: () => undefined },
  });
  return { store, sent, submissions };
}
