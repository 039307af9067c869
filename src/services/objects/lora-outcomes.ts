// What the gateway learns of a LoRA's training, whenever it reads one from Apiframe (a team's GET,
// a listing, a DELETE, or the background pass over pending LoRAs): a FAILED training gets its
// charge refunded, exactly once across instances (one store script); a READY or ARCHIVED one is
// pending no more.
import { randomUUID } from 'node:crypto';
import { parseJson } from '../../domain/jobs.js';
import { createBackgroundPass } from '../background-pass.js';
import { LORA_TRAINING_MODEL } from '../../schemas/modalities.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/store.js';
import type { UpstreamClient } from '../upstream.js';

const FINAL_WITHOUT_REFUND = new Set(['READY', 'ARCHIVED']);
const BATCH = 100;

export interface LoraOutcomesDeps {
  store: Store;
  upstream: UpstreamClient;
  clock: Clock;
  logger: Logger;
  metrics: Pick<Metrics, 'credits'>;
  intervalMs: number;
}

export function createLoraOutcomes({ store, upstream, clock, logger, metrics, intervalMs }: LoraOutcomesDeps) {
  const holder = randomUUID();

  /** Acts on a LoRA of `team` as Apiframe shows it (a Lora object); the credits refunded. */
  async function observe(team: string, lora: unknown, requestId: string): Promise<number> {
    const { id, status } = (lora ?? {}) as { id?: unknown; status?: unknown };
    if (typeof id !== 'string') return 0;
    if (status === 'FAILED') {
      const refunded = await store.refundLora({ team, loraId: id, why: 'FAILED', now: clock(), requestId });
      metrics.credits('refunded', team, LORA_TRAINING_MODEL, refunded);
      return refunded;
    }
    if (FINAL_WITHOUT_REFUND.has(status as string)) await store.closeLora(team, id);
    return 0;
  }

  async function checkPending(team: string, loraId: string): Promise<number> {
    const requestId = `lora-pass-${randomUUID()}`;
    try {
      const path = `/v2/loras/${encodeURIComponent(loraId)}`;
      const response = await upstream.forward({ operation: 'get_lora', method: 'GET', path }, requestId);
      if (response.status === 404) await store.closeLora(team, loraId);
      if (response.status !== 200) return 0;
      return await observe(team, parseJson(response.body), requestId);
    } catch (error) {
      logger.warn({ err: error, team, loraId }, 'could not check a pending LoRA');
      return 0;
    }
  }

  /** One pass over every team's pending LoRAs (one instance at a time); the credits refunded. */
  async function checkOnce(): Promise<{ refunded: number; skipped: boolean }> {
    if (!(await store.acquireLease('lora-outcomes', holder, intervalMs * 3))) return { refunded: 0, skipped: true };
    let refunded = 0;
    for (const team of await store.teams()) {
      for (const loraId of await store.pendingLoras(team, BATCH)) refunded += await checkPending(team, loraId);
    }
    return { refunded, skipped: false };
  }

  const background = createBackgroundPass(checkOnce, logger, 'LoRA outcome pass failed');
  return { observe, checkOnce, start: () => background.start(intervalMs), stop: background.stop };
}

export type LoraOutcomes = ReturnType<typeof createLoraOutcomes>;
