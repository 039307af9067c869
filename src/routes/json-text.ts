// Apiframe's JSON is handed back as the text it came in: no re-parsing, no re-serialising,
// nothing added or dropped.
import type { FastifyReply } from 'fastify';

export function sendJsonText(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('application/json').send(body);
}
