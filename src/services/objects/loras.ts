// LoRA training through the gateway. POST /v2/loras streams its images on to Apiframe like an
// upload (15-30 JPEG, PNG or WebP images, 10 MB each, 100 MB in all, checked on the way) and costs
// what Apiframe's spec says, reserved before anything is sent and charged when Apiframe accepts
// (refunded if the training fails: lora-outcomes.ts), or when the outcome is unclear (Apiframe
// may have charged: an answer without the LoRA's id, or none in time), never released then. The LoRA is the team's: reading, archiving
// or listing shows and touches only the team's own; another team's id is not found, like an
// unknown one, and is never sent upstream.
import type { Readable } from 'node:stream';
import { errors, invalidInput } from '../../errors.js';
import { parseJson } from '../../domain/jobs.js';
import { LORA_IMAGE_TYPES, LORA_LIMITS, sniffFile } from '../../domain/uploads.js';
import { LORA_TRAINING_MODEL } from '../../schemas/modalities.js';
import type { Caller } from '../caller.js';
import type { Clock } from '../clock.js';
import type { GatewayAnswer } from '../gateway-answer.js';
import type { JobReservation } from '../job-reservation.js';
import type { JobSettlement } from '../job-settlement.js';
import type { MultipartRules } from '../multipart/multipart-guard.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { LoraChargeRequest } from '../store/objects/contract.js';
import type { Store } from '../store/store.js';
import type { UpstreamClient, UpstreamResponse } from '../upstream.js';
import { acceptedId, releaseReason, upstreamRefusal } from '../upstream-errors.js';
import type { LoraOutcomes } from './lora-outcomes.js';
import { type CheckedForm, checkedForm } from './streamed-form.js';

/** What training a LoRA costs: Apiframe's spec says it "deducts 2 credits up-front". */
export const LORA_TRAINING_CREDITS = 2;
/** The model a LoRA is trained for: a gateway or a key that may not run it may not train one. */
const LORA_MODEL = 'flux-lora';

export interface LorasDeps {
  store: Store;
  upstream: UpstreamClient;
  clock: Clock;
  reservation: Pick<JobReservation, 'reserve' | 'keepLeaseAlive'>;
  settlement: Pick<JobSettlement, 'releaseQuietly'>;
  outcomes: Pick<LoraOutcomes, 'observe'>;
  metrics: Pick<Metrics, 'credits'>;
  logger: Logger;
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

/** Refuses training where flux-lora, the model LoRAs are trained for, is not offered or not the key's. */
function refuseUntrainable(caller: Caller, enabledModels: ReadonlySet<string>): void {
  if (!enabledModels.has(LORA_MODEL)) {
    throw invalidInput({ model: [`${LORA_MODEL} is not offered by this gateway, so no LoRA is trained for it`] });
  }
  if (caller.key.allowedModels && !caller.key.allowedModels.includes(LORA_MODEL)) {
    throw new errors.ModelNotAllowed(LORA_MODEL);
  }
}

type Sent = { response: UpstreamResponse; loraId: string } | { error: unknown; unclear: string | undefined };

/**
 * Sends a training: Apiframe's 202 and the LoRA's id, or the error, with why Apiframe may have
 * charged all the same (an answer without the id, or none in time); unclear undefined when it surely did not.
 */
async function sendTraining(form: CheckedForm, upstream: UpstreamClient, requestId: string): Promise<Sent> {
  let response: UpstreamResponse | undefined;
  try {
    response = await form.send(upstream, 'train_lora', '/v2/loras', requestId);
    if (response.status !== 202) throw upstreamRefusal(response);
    return { response, loraId: acceptedId(response.body, 'id') };
  } catch (error) {
    if (response?.status === 202) return { error, unclear: 'Apiframe accepted the training without a usable LoRA id' };
    return { error, unclear: error instanceof errors.UpstreamTimeout ? 'Apiframe did not answer in time' : undefined };
  }
}

export function createLoras(deps: LorasDeps) {
  const { store, upstream, clock, reservation, settlement, outcomes, metrics, logger } = deps;

  /** Charges a training, counting what moved. */
  async function charge(request: LoraChargeRequest): Promise<void> {
    const { team, model, credits } = request;
    const { charged, overrun, released } = await store.chargeLora(request);
    if (charged) metrics.credits('settled', team, model, credits - overrun);
    metrics.credits('overrun', team, model, overrun);
    metrics.credits('released', team, model, released);
  }

  async function train(caller: Caller, body: Readable, contentType: string | undefined, requestId: string) {
    refuseUntrainable(caller, deps.enabledModels);
    const form = await checkedForm({ body, contentType, rules: loraRules() });
    const { team, id: keyId } = caller.key;
    const model = LORA_TRAINING_MODEL;
    const credits = LORA_TRAINING_CREDITS;
    const reserved = await reservation.reserve(caller, model, credits, requestId).catch((error: unknown) => {
      form.abandon();
      throw error;
    });
    const { reservationId, windows } = reserved;
    const training = { team, keyId, model, reservationId, windows, credits, requestId };
    const lease = reservation.keepLeaseAlive(team, reservationId);
    try {
      const sent = await sendTraining(form, upstream, requestId);
      if ('response' in sent) {
        await charge({ ...training, loraId: sent.loraId, now: clock() });
        return sent.response;
      }
      if (sent.unclear) {
        // Apiframe may have charged: so is the team, and the operator told (see LoRAs in the README).
        const { unclear } = sent;
        logger.error({ requestId, team, reservationId, unclear }, 'LoRA training charged with an unclear outcome');
        await charge({ ...training, loraId: `unclear-${requestId}`, unclear, now: clock() });
      } else {
        const why = releaseReason(sent.error);
        await settlement.releaseQuietly({ team, reservationId, day: windows[0]!, requestId, now: clock(), why }, model);
      }
      throw sent.error;
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

  /** Reads one of the team's LoRAs (at `path`) from Apiframe, acting on what its training came to. */
  async function look(team: string, path: string, requestId: string): Promise<GatewayAnswer> {
    const response = await upstream.forward({ operation: 'get_lora', method: 'GET', path }, requestId);
    if (response.status === 404) throw new errors.LoraNotFound();
    if (response.status !== 200) throw upstreamRefusal(response);
    await outcomes.observe(team, parseJson(response.body), requestId);
    return response;
  }

  async function read(caller: Caller, loraId: string, requestId: string): Promise<GatewayAnswer> {
    return look(caller.key.team, await ownLora(caller, loraId), requestId);
  }

  /** Archives a LoRA, after one last look so that a failed training archived unseen is still refunded. */
  async function archive(caller: Caller, loraId: string, requestId: string): Promise<GatewayAnswer> {
    const path = await ownLora(caller, loraId);
    await look(caller.key.team, path, requestId);
    const response = await upstream.forward({ operation: 'archive_lora', method: 'DELETE', path }, requestId);
    if (response.status === 404) throw new errors.LoraNotFound();
    if (response.status !== 204) throw upstreamRefusal(response);
    await store.closeLora(caller.key.team, loraId);
    return response;
  }

  return { train, read, archive };
}

export type Loras = ReturnType<typeof createLoras>;
