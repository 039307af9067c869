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
