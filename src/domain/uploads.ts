// Files as Apiframe takes them: their kind sniffed from their first bytes (the declared content
// type is ignored upstream, so the gateway ignores it too), the sizes each kind may have, and
// LoRA training's limits.

export type FileKind = 'image' | 'video' | 'audio';

const MB = 1024 * 1024;

/** POST /v2/uploads: 25 MB an image or audio file, 50 MB a video (Apiframe's spec). */
export const UPLOAD_LIMITS: Readonly<Record<FileKind, number>> = { image: 25 * MB, audio: 25 * MB, video: 50 * MB };

/** POST /v2/loras: 15-30 JPEG, PNG or WebP images, 10 MB each, 100 MB in all (Apiframe's spec). */
export const LORA_LIMITS = { minImages: 15, maxImages: 30, imageBytes: 10 * MB, totalBytes: 100 * MB } as const;
export const LORA_IMAGE_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/webp']);

/** Bytes enough to tell every supported kind apart. */
export const SNIFF_BYTES = 12;

const at = (head: Uint8Array, offset: number, text: string) =>
  Buffer.from(head.subarray(offset, offset + text.length)).toString('latin1') === text;

/** The kind and MIME type of a file from its first SNIFF_BYTES bytes; undefined when Apiframe takes none such. */
export function sniffFile(head: Uint8Array): { kind: FileKind; contentType: string } | undefined {
  const file = (kind: FileKind, contentType: string) => ({ kind, contentType });
  if (at(head, 0, '\x89PNG')) return file('image', 'image/png');
  if (at(head, 0, '\xFF\xD8\xFF')) return file('image', 'image/jpeg');
  if (at(head, 0, 'GIF8')) return file('image', 'image/gif');
  if (at(head, 0, 'RIFF') && at(head, 8, 'WEBP')) return file('image', 'image/webp');
  if (at(head, 0, 'RIFF') && at(head, 8, 'WAVE')) return file('audio', 'audio/wav');
  if (at(head, 0, 'OggS')) return file('audio', 'audio/ogg');
  if (at(head, 0, 'ID3') || (head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0)) return file('audio', 'audio/mpeg');
  if (at(head, 0, '\x1A\x45\xDF\xA3')) return file('video', 'video/webm');
  if (at(head, 4, 'ftyp')) return at(head, 8, 'M4A') ? file('audio', 'audio/mp4') : file('video', 'video/mp4');
  return undefined;
}
