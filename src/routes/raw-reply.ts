// Replies whose bodies are not serialised from a schema: Apiframe's JSON handed back as the
// text it came in (nothing re-parsed, added or dropped), and streamed exports.
import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

export function sendJsonText(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('application/json').send(body);
}

/** Streams an export; with a file name, browsers save it as that file. */
export function sendStream(reply: FastifyReply, type: string, stream: Readable, fileName?: string): FastifyReply {
  if (fileName) reply.header('content-disposition', `attachment; filename="${fileName}"`);
  return reply.type(type).send(stream);
}
