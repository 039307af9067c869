// Multipart bodies as Apiframe's upload routes receive them: read whole (the simulator is a test
// stand-in; the gateway in front of it streams), counted as they arrive so a test can tell how
// much of an upload reached Apiframe, then split into parts.
import type { FastifyInstance } from 'fastify';

export interface Part {
  name: string;
  filename?: string;
  data: Buffer;
}

/** Parsed multipart bodies: their parts, or null when the body is not multipart/form-data. */
export type MultipartBody = Part[] | null;

/** More than a LoRA's 100 MB of images is never read. */
const MAX_BODY_BYTES = 120 * 1024 * 1024;

/** Registers the multipart parser; every byte read from a multipart body is told to `received`. */
export function acceptMultipart(app: FastifyInstance, received: (bytes: number) => void): void {
  app.addContentTypeParser('multipart/form-data', (request, payload, done) => {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(request.headers['content-type'] ?? '');
    const chunks: Buffer[] = [];
    let size = 0;
    payload.on('data', (chunk: Buffer) => {
      received(chunk.length);
      size += chunk.length;
      if (size > MAX_BODY_BYTES) payload.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    payload.on('error', (error) => done(error, undefined));
    payload.on('end', () => {
      const parts = boundary ? splitParts(Buffer.concat(chunks), (boundary[1] ?? boundary[2])!) : null;
      done(null, parts);
    });
  });
}

function splitParts(body: Buffer, boundary: string): MultipartBody {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let start = body.indexOf(delimiter);
  if (start < 0) return null;
  while (true) {
    start += delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') return parts;
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), start);
    if (next < 0) return null;
    const part = parsePart(body.subarray(start + 2, next));
    if (!part) return null;
    parts.push(part);
    start = next + 2;
  }
}

function parsePart(raw: Buffer): Part | null {
  const headerEnd = raw.indexOf('\r\n\r\n');
  if (headerEnd < 0) return null;
  const headers = raw.subarray(0, headerEnd).toString('utf8');
  const name = /name="([^"]*)"/i.exec(headers)?.[1];
  if (name === undefined) return null;
  const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
  return { name, ...(filename !== undefined && { filename }), data: raw.subarray(headerEnd + 4) };
}

/** The text fields of a body, by name (the last one wins). */
export function textFields(parts: Part[]): Record<string, string> {
  return Object.fromEntries(
    parts.filter((part) => part.filename === undefined).map((p) => [p.name, p.data.toString()]),
  );
}
