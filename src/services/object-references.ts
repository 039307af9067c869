// The uploads and LoRAs a job body names must be the caller's team's: another team's is refused
// exactly like an unknown one (404), before anything is reserved or sent.
//
// What the gateway can know, from Apiframe's spec: a LoRA is named by `fluxLoraParams.loraId`
// (flux-lora), and is checked strictly (a LoRA no team trained through the gateway is unknown).
// An upload is named by its URL, in a URL field or inside any text (a Midjourney prompt may start
// with image URLs); every URL is compared in its canonical form (domain/upload-urls.ts), refused
// when it is another team's recorded upload and let through otherwise, since any public URL is a
// valid input and an upload made around the gateway cannot be told from one. The spec names no
// job field that carries an asset id; an asset's own `url` is checked when it is created.
import { canonicalFormsOf, MAX_URL_LENGTH, urlsWrittenIn } from '../domain/upload-urls.js';
import { errors, invalidInput } from '../errors.js';
import type { ObjectReferences } from './job-operation.js';
import type { Store } from './store/store.js';

/** Distinct URLs one request may name, each one store read; a body naming more is refused, never cut short. */
const MAX_URLS = 64;
/** Places a URL starts that one request may hold (nested, repeated and encoded ones included): bounds the reading. */
const MAX_URL_STARTS = 4 * MAX_URLS;

/** What a body of Apiframe's spec names: its flux-lora LoRA, and every http(s) URL in it. */
export function objectReferencesIn(body: Readonly<Record<string, unknown>>): ObjectReferences {
  const { webhookUrl: _ownWebhook, ...inputs } = body;
  const loraId = (body.fluxLoraParams as { loraId?: unknown } | undefined)?.loraId;
  return { loras: typeof loraId === 'string' ? [loraId] : [], urls: urlsIn(inputs) };
}

/** The distinct canonical URLs in every string of `value`; a 400 for too many or too long a URL. */
export function urlsIn(value: unknown): string[] {
  const urls = new Set<string>();
  let starts = 0;
  for (const text of stringsIn(value)) {
    for (const written of urlsWrittenIn(text)) {
      if (written.length > MAX_URL_LENGTH) {
        throw invalidInput({ $: [`names a URL longer than ${MAX_URL_LENGTH} characters`] });
      }
      for (const canonical of canonicalFormsOf(written)) urls.add(canonical);
      if (urls.size > MAX_URLS || ++starts > MAX_URL_STARTS) {
        throw invalidInput({
          $: [`names more than ${MAX_URLS} URLs; at most ${MAX_URLS} are accepted in one request`],
        });
      }
    }
  }
  return [...urls];
}

function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(stringsIn);
}

export async function checkObjectReferences(store: Store, team: string, references: ObjectReferences): Promise<void> {
  const { loras = [], urls = [] } = references;
  if ((await store.ownedObjects(team, 'lora', loras)).includes(false)) throw new errors.LoraNotFound();
  await checkUploadUrls(store, team, urls);
}

/** Refuses, as not found, canonical URLs of which any is another team's upload. */
export async function checkUploadUrls(store: Store, team: string, urls: readonly string[]): Promise<void> {
  const owners = await Promise.all(urls.map((url) => store.uploadUrlOwner(url)));
  if (owners.some((owner) => owner !== null && owner !== team)) throw new errors.UploadNotFound();
}
