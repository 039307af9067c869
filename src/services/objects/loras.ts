// LoRA training through the gateway. POST /v2/loras streams its images on to Apiframe like an
// upload (15-30 JPEG, PNG or WebP images, 10 MB each, 100 MB in all, checked on the way) and costs
// what Apiframe's spec says, reserved before anything is sent and charged when Apiframe accepts
// (refunded if the training fails: lora-outcomes.ts). The LoRA is the team's: reading, archiving
// or listing shows and touches only the team's own; another team's id is not found, like an
// unknown one, and is never sent upstream.
import type { Readable } from 'node:stream';
import { errors, invalidInput } from '../../errors.js';
import { parseJson } from '../../domain/jobs.js';
import { LORA_IMAGE_TYPES, LORA_LIMITS, sniffFile } from '../../domain/uploads.js';
import type { Caller } from '../caller.js';
import type { Clock } from '../clock.js';
import type { GatewayAnswer } from '../gateway-answer.js';
import type { JobReservation } from '../job-reservation.js';
import type { JobSettlement } from '../job-settlement.js';
import type { MultipartRules } from '../multipart/multipart-guard.js';
import type { Store } from '../store/store.js';
import type { UpstreamClient, UpstreamResponse } from '../upstream.js';
import { releaseReason, upstreamRefusal } from '../upstream-errors.js';
import type { LoraOutcomes } from './lora-outcomes.js';
import { checkedForm } from './streamed-form.js';

/** What training a LoRA costs: Apiframe's spec says it "deducts 2 credits up-front". */
export const LORA_TRAINING_CREDITS = 2;
/** The name LoRA training goes by in the ledger, reports and metrics. */
export const LORA_TRAINING_MODEL = 'flux-lora:training';
/** The model a LoRA is trained for: a gateway or a key that may not run it may not train one. */
const LORA_MODEL = 'flux-lora';

export interface LorasDeps {
  store: Store;
  upstream: UpstreamClient;
  clock: Clock;
  reservation: Pick<JobReservation, 'reserve' | 'keepLeaseAlive'>;
  settlement: Pick<JobSettlement, 'releaseQuietly'>;
  outcomes: Pick<LoraOutcomes, 'observe'>;
  /** The models and actions the gateway offers (ENABLED_MODELS, PRICING_FILE). */
  enabledModels: ReadonlySet<string>;
}

/** A training body's rules: its images counted, sniffed and sized; no webhook (the gateway relays none for LoRAs). */
export function loraRules(): MultipartRules {
  let images = 0;
  return {
    checkField(part) {
      if (part.name === 'webhookUrl' || part.name === 'webhookEvents') {
        throw invalidInput({ [part.name]: ['The gateway relays no LoRA webhooks; poll GET /v2/loras/{id}'] });
      }
    },
    checkFile(part, head) {
      if (part.name !== 'images') throw invalidInput({ [part.name]: ['Training images go in `images`'] });
      if (!LORA_IMAGE_TYPES.has(sniffFile(head)?.contentType ?? '')) {
        throw invalidInput({ images: ['Every image must be a JPEG, PNG or WebP'] });
      }
      images += 1;
      return LORA_LIMITS.imageBytes;
    },
    maxFiles: LORA_LIMITS.maxImages,
    maxTotalFileBytes: LORA_LIMITS.totalBytes,
    checkEnd() {
      if (images < LORA_LIMITS.minImages) throw invalidInput({ images: [`At least ${LORA_LIMITS.minImages} images`] });
    },
  };
}

/** The id of the LoRA Apiframe created (LoraCreated); a 502 when it names none. */
function createdLoraId(body: string): string {
  const id = (parseJson(body) as { id?: unknown } | undefined)?.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > 128) throw new errors.UpstreamUnavailable();
  return id;
}

export function createLoras(deps: LorasDeps) {
  const { store, upstream, clock, reservation, settlement, outcomes } = deps;

  async function train(caller: Caller, body: Readable, contentType: string | undefined, requestId: string) {
    if (!deps.enabledModels.has(LORA_MODEL)) {
      throw invalidInput({ model: [`${LORA_MODEL} is not offered by this gateway, so no LoRA is trained for it`] });
    }
    if (caller.key.allowedModels && !caller.key.allowedModels.includes(LORA_MODEL)) {
      throw new errors.ModelNotAllowed(LORA_MODEL);
    }
    const form = await checkedForm({ body, contentType, rules: loraRules() });
    const { team, id: keyId } = caller.key;
    const model = LORA_TRAINING_MODEL;
    const credits = LORA_TRAINING_CREDITS;
    const reserved = await reservation.reserve(caller, model, credits, requestId).catch((error: unknown) => {
      form.abandon();
      throw error;
    });
    const { reservationId, windows } = reserved;
    const lease = reservation.keepLeaseAlive(team, reservationId);
    try {
      let loraId: string;
      let response: UpstreamResponse;
      try {
        response = await form.send(upstream, 'train_lora', '/v2/loras', requestId);
        if (response.status !== 202) throw upstreamRefusal(response);
        loraId = createdLoraId(response.body);
      } catch (error) {
        const release = { team, reservationId, day: windows[0]!, requestId, now: clock(), why: releaseReason(error) };
        await settlement.releaseQuietly(release, model);
        throw error;
      }
      await store.chargeLora({ team, keyId, model, reservationId, loraId, windows, credits, now: clock(), requestId });
      return response;
    } finally {
      lease.stop();
    }
  }

  /** Refuses an id that is not one of the team's LoRAs, exactly as an unknown one. */
  async function ownLora(caller: Caller, loraId: string): Promise<string> {
    const [owned] = await store.ownedObjects(caller.key.team, 'lora', [loraId]);
    if (!owned) throw new errors.LoraNotFound();
    return `/v2/loras/${encodeURIComponent(loraId)}`;
  }

  async function read(caller: Caller, loraId: string, requestId: string): Promise<GatewayAnswer> {
    const path = await ownLora(caller, loraId);
    const response = await upstream.forward({ operation: 'get_lora', method: 'GET', path }, requestId);
    if (response.status === 404) throw new errors.LoraNotFound();
    if (response.status !== 200) throw upstreamRefusal(response);
    await outcomes.observe(caller.key.team, parseJson(response.body), requestId);
    return response;
  }

  /** Archives a LoRA, after one last look so that a failed training archived unseen is still refunded. */
  async function archive(caller: Caller, loraId: string, requestId: string): Promise<GatewayAnswer> {
    await read(caller, loraId, requestId);
    const path = await ownLora(caller, loraId);
    const response = await upstream.forward({ operation: 'archive_lora', method: 'DELETE', path }, requestId);
    if (response.status === 404) throw new errors.LoraNotFound();
    if (response.status !== 204) throw upstreamRefusal(response);
    await store.closeLora(caller.key.team, loraId);
    return response;
  }

  return { train, read, archive };
}

export type Loras = ReturnType<typeof createLoras>;
