// The uploads, assets and LoRAs a job body names must be the caller's team's: another team's is
// refused exactly like an unknown one (404), before anything is reserved or sent.
//
// What the gateway can know, from Apiframe's spec: a LoRA is named by `fluxLoraParams.loraId`
// (flux-lora), and is checked strictly (a LoRA no team trained through the gateway is unknown).
// An upload is named by its URL in any image, video or audio field; a URL is refused when it is
// another team's recorded upload, and let through otherwise, since any public URL is a valid
// input and an upload made around the gateway cannot be told from one. The spec names no job
// field that carries an asset id, so none is checked in bodies (GET /v2/assets/{assetId} is).
import { errors } from '../errors.js';
import type { ObjectReferences } from './job-operation.js';
import type { Store } from './store/store.js';

/** URLs looked up per body, at most: more is no real body. */
const MAX_URLS = 64;

/** What a body of Apiframe's spec names: its flux-lora LoRA, and every http(s) URL in it. */
export function objectReferencesIn(body: Readonly<Record<string, unknown>>): ObjectReferences {
  const { webhookUrl: _ownWebhook, ...inputs } = body;
  const loraId = (body.fluxLoraParams as { loraId?: unknown } | undefined)?.loraId;
  return { loras: typeof loraId === 'string' ? [loraId] : [], urls: [...new Set(urlsIn(inputs))].slice(0, MAX_URLS) };
}

function urlsIn(value: unknown): string[] {
  if (typeof value === 'string') return /^https?:\/\//i.test(value) ? [value] : [];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(urlsIn);
}

export async function checkObjectReferences(store: Store, team: string, references: ObjectReferences): Promise<void> {
  const { loras = [], assets = [], urls = [] } = references;
  if ((await store.ownedObjects(team, 'lora', loras)).includes(false)) throw new errors.LoraNotFound();
  if ((await store.ownedObjects(team, 'asset', assets)).includes(false)) throw new errors.AssetNotFound();
  for (const url of urls) {
    const owner = await store.uploadUrlOwner(url);
    if (owner !== null && owner !== team) throw new errors.UploadNotFound();
  }
}
