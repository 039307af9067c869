// Idempotent submissions, with Stripe's semantics scoped to each team key: the first request
// with an Idempotency-Key runs; a retry with the same key and body gets the same answer (the
// same jobId) without a second charge; the same key with another body is a 409; concurrent
// requests with one key wait for the first and share its answer. Failures are not kept, so a
// retry after one runs again. Apiframe receives a key namespaced per team key, so two teams
// that pick the same value never meet upstream.
import { createHash, randomUUID } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import { errors } from '../errors.js';
import { DAY_MS } from '../domain/budgets.js';
import type { GatewayAnswer } from './gateway-answer.js';
import type { Store } from './store/store.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const WAIT_STEP_MS = 50;

export interface IdempotencyOptions {
  /** How long a request may hold its key before another may take it over (a crashed instance). */
  pendingTtlMs: number;
  /** How long an answer is replayed. */
  ttlMs?: number;
}

function upstreamIdempotencyKey(keyId: string, idempotencyKey: string): string {
  return `gw_${sha256(`${keyId}\n${idempotencyKey}`)}`;
}

export function createIdempotency(store: Store, options: IdempotencyOptions) {
  const ttlMs = options.ttlMs ?? DAY_MS;

  return {
    async run(
      request: { team: string; keyId: string; idempotencyKey: string; body: unknown },
      work: (upstreamKey: string) => Promise<GatewayAnswer>,
    ): Promise<GatewayAnswer & { replayed: boolean }> {
      const scope = { team: request.team, keyId: request.keyId, key: sha256(request.idempotencyKey) };
      const fingerprint = sha256(stringify(request.body) ?? '');
      const holder = randomUUID();
      const deadline = Date.now() + options.pendingTtlMs;
      for (;;) {
        const claim = await store.claimIdempotency(scope, fingerprint, options.pendingTtlMs, holder);
        if (claim.state === 'mismatch') throw new errors.IdempotencyMismatch();
        if (claim.state === 'done') return { status: claim.status, body: claim.body, replayed: true };
        if (claim.state === 'claimed') break;
        if (Date.now() > deadline) throw new errors.IdempotencyInProgress();
        await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
      }
      let answer: GatewayAnswer;
      try {
        answer = await work(upstreamIdempotencyKey(request.keyId, request.idempotencyKey));
      } catch (error) {
        await store.abandonIdempotency(scope, holder).catch(() => undefined);
        throw error;
      }
      // The job exists whether or not its answer could be kept: a retry after the pending claim
      // expires runs again with the same upstream key, and Apiframe names the same job.
      await store.completeIdempotency(scope, holder, answer.status, answer.body, ttlMs).catch(() => undefined);
      return { ...answer, replayed: false };
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
