// Apiframe's error answers: a status with its message, and a Retry-After on 429.
import type { FastifyReply } from 'fastify';

const ERROR_MESSAGES: Record<number, string> = {
  400: 'Validation failed',
  401: 'Invalid API key',
  402: 'Insufficient credits',
  403: 'API key inactive',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service temporarily unavailable',
};

export function sendError(reply: FastifyReply, status: number, extra: Record<string, unknown> = {}) {
  if (status === 429) reply.header('retry-after', '2');
  return reply.code(status).send({ error: ERROR_MESSAGES[status] ?? 'Error', ...extra });
}
