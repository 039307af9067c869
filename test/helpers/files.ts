// Files for upload tests: the first bytes Apiframe sniffs, padded to the size a test needs, and
// multipart forms carrying them as clients send them.

const MAGIC = {
  png: Buffer.from('89504e470d0a1a0a', 'hex'),
  jpeg: Buffer.from('ffd8ffe0', 'hex'),
  mp4: Buffer.from('0000001c667479706973366d', 'hex'),
  mp3: Buffer.from('494433', 'hex'),
  text: Buffer.from('hello, world'),
};

export type FileType = keyof typeof MAGIC;

/** `bytes` bytes that sniff as `type`. */
export function fileOf(type: FileType, bytes = 1024): Buffer {
  const data = Buffer.alloc(Math.max(bytes, MAGIC[type].length), 0x20);
  MAGIC[type].copy(data);
  return data;
}

/** A form with `file` (absent when undefined) for POST /v2/uploads. */
export function uploadForm(file: Buffer | undefined, filename = 'input.bin'): FormData {
  const form = new FormData();
  if (file) form.append('file', new Blob([new Uint8Array(file)]), filename);
  return form;
}

/** A form for POST /v2/loras: `count` small PNG images and these text fields. */
export function loraForm(count: number, fields: Record<string, string> = {}, imageBytes = 2048): FormData {
  const form = new FormData();
  const all = { name: 'my face', gender: 'female', ethnicity: 'any', ...fields };
  for (const [name, value] of Object.entries(all)) form.append(name, value);
  for (let i = 0; i < count; i += 1)
    form.append('images', new Blob([new Uint8Array(fileOf('png', imageBytes))]), `${i}.png`);
  return form;
}

export interface RawPart {
  /** The part's Content-Disposition parameters after `form-data; `, as sent. */
  disposition: string;
  /** Its content: text, or a file of `type` and `bytes` generated as it is sent. */
  content: string | { type: FileType; bytes: number };
}

/**
 * A multipart body as raw bytes in chunks of at most 64 KB, generated as it is read (a 100 MB body
 * is never held), with each part's Content-Disposition written as given and `epilogue` after the end.
 */
export async function* rawMultipart(boundary: string, parts: RawPart[], epilogue = '\r\n'): AsyncGenerator<Buffer> {
  for (const part of parts) {
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; ${part.disposition}\r\n\r\n`);
    if (typeof part.content === 'string') yield Buffer.from(part.content);
    else {
      const { type, bytes } = part.content;
      const chunk = 64 * 1024;
      yield fileOf(type, Math.min(chunk, bytes)).subarray(0, bytes);
      for (let sent = chunk; sent < bytes; sent += chunk) yield Buffer.alloc(Math.min(chunk, bytes - sent), 0x20);
    }
    yield Buffer.from('\r\n');
  }
  yield Buffer.from(`--${boundary}--${epilogue}`);
}
