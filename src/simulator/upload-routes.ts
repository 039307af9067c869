// POST /v2/uploads: one `file` part, sniffed by its first bytes (PNG, JPEG, WebP, GIF, MP4, WebM,
// MOV, MP3, WAV, OGG, M4A), at most 25 MB for an image or audio file and 50 MB for a video,
// answered 201 with the Upload the spec describes: a short-lived CDN URL.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sniff, UPLOAD_LIMITS } from './file-kinds.js';
import type { MultipartBody } from './multipart.js';
import type { SimulatorState } from './simulator-types.js';

const EXPIRES_AFTER_MS = 2 * 60 * 60 * 1000;

export function registerUploadRoute(app: FastifyInstance, state: SimulatorState): void {
  app.post('/v2/uploads', async (request, reply) => {
    const refuse = (message: string) =>
      reply.code(400).send({ error: 'Validation failed', details: { file: [message] } });
    const parts = request.body as MultipartBody | undefined;
    const part = parts?.find((candidate) => candidate.name === 'file' && candidate.filename !== undefined);
    if (!part) return refuse('A file is required');
    const sniffed = sniff(part.data);
    if (!sniffed) return refuse('Unsupported file type');
    if (part.data.length > UPLOAD_LIMITS[sniffed.kind]) {
      return refuse(`File is larger than ${UPLOAD_LIMITS[sniffed.kind] / (1024 * 1024)} MB`);
    }
    const id = randomUUID();
    const upload = {
      id,
      url: `https://cdn.apiframe.example/uploads/${id}.${sniffed.extension}`,
      kind: sniffed.kind,
      contentType: sniffed.contentType,
      byteSize: part.data.length,
      expiresAt: new Date(Date.now() + EXPIRES_AFTER_MS).toISOString(),
    };
    state.uploads.set(id, upload);
    return reply.code(201).send(upload);
  });
}
