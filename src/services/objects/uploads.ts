// POST /v2/uploads through the gateway: free of credits, the file streamed straight on to Apiframe
// (its kind sniffed from its first bytes and its size held to Apiframe's limit for that kind on
// the way), and the upload Apiframe created recorded as the caller's team's by its URL (how
// requests name it; nothing asks by its id).
import type { Readable } from 'node:stream';
import { invalidInput } from '../../errors.js';
import { parseJson } from '../../domain/jobs.js';
import { canonicalUploadUrl } from '../../domain/upload-urls.js';
import { sniffFile, UPLOAD_LIMITS } from '../../domain/uploads.js';
import type { Caller } from '../caller.js';
import type { GatewayAnswer } from '../gateway-answer.js';
import type { MultipartRules } from '../multipart/multipart-guard.js';
import type { Store } from '../store/store.js';
import type { UpstreamClient } from '../upstream.js';
import { upstreamRefusal } from '../upstream-errors.js';
import { checkedForm } from './streamed-form.js';

/** Apiframe keeps an upload an hour or two; its ownership record outlives it comfortably. */
const UPLOAD_RECORD_TTL_MS = 24 * 60 * 60 * 1000;

export const UPLOAD_RULES: MultipartRules = {
  checkField: () => undefined,
  checkFile(part, head) {
    if (part.name !== 'file') throw invalidInput({ [part.name]: ['Only one file, named `file`, is accepted'] });
    const sniffed = sniffFile(head);
    if (!sniffed)
      throw invalidInput({
        file: ['Unsupported file type (PNG, JPEG, WebP, GIF, MP4, WebM, MOV, MP3, WAV, OGG, M4A)'],
      });
    return UPLOAD_LIMITS[sniffed.kind];
  },
  maxFiles: 1,
  maxTotalFileBytes: UPLOAD_LIMITS.video,
  checkEnd(files) {
    if (files.length === 0) throw invalidInput({ file: ['A file is required'] });
  },
};

export function createUploads(deps: { store: Store; upstream: UpstreamClient }) {
  const { store, upstream } = deps;

  async function upload(caller: Caller, body: Readable, contentType: string | undefined, requestId: string) {
    const form = await checkedForm({ body, contentType, rules: UPLOAD_RULES });
    const response = await form.send(upstream, 'upload', '/v2/uploads', requestId);
    if (response.status !== 201) throw upstreamRefusal(response);
    const created = parseJson(response.body) as { url?: unknown } | undefined;
    const url = typeof created?.url === 'string' ? canonicalUploadUrl(created.url) : undefined;
    if (url) await store.recordUpload({ team: caller.key.team, url, ttlMs: UPLOAD_RECORD_TTL_MS });
    return { status: response.status, body: response.body } satisfies GatewayAnswer;
  }

  return { upload };
}
