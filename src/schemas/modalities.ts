// The modality (image, video or music) of every name the gateway prices, meters and reports: a
// model, or an action by its priced name (`midjourney:upsample`). Read from Apiframe's spec: an
// operation's path says it (`/v2/images/…`, `/v2/videos/…`, `/v2/music/…`); LoRA training is image's.
import { APIFRAME_JOB_OPERATIONS, priceName } from './apiframe-spec.js';
import { MODALITIES, type Modality } from './models.js';

/** The name LoRA training goes by in the ledger, reports and metrics: an image model's training. */
export const LORA_TRAINING_MODEL = 'flux-lora:training';

/** What reports and metrics call a name the spec does not know (a model it has since dropped). */
export const REPORTED_MODALITIES = [...MODALITIES, 'other'] as const;
export type ReportedModality = (typeof REPORTED_MODALITIES)[number];

const BY_PATH_SEGMENT: Readonly<Record<string, Modality>> = { images: 'image', videos: 'video', music: 'music' };

const MODALITY_BY_NAME: ReadonlyMap<string, Modality> = new Map([
  ...APIFRAME_JOB_OPERATIONS.flatMap((operation) => {
    const modality = BY_PATH_SEGMENT[operation.path.split('/')[2]!];
    return modality
      ? [...operation.branches.keys()].map((value) => [priceName(operation, value), modality] as const)
      : [];
  }),
  [LORA_TRAINING_MODEL, 'image'],
]);

/** The modality of a model or priced action name; `other` for a name Apiframe's spec does not list. */
export function modalityOf(name: string): ReportedModality {
  return MODALITY_BY_NAME.get(name) ?? 'other';
}
