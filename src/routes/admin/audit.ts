// /admin/audit: every admin change, newest first. Entries hold no secret (nor any key hash).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuditPage, AuditQuery } from '../../schemas/admin.js';
import { ErrorResponse, ValidationErrorResponse } from '../../schemas/common.js';

export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { audit } = app.services;
  app.get(
    '/audit',
    {
      schema: {
        tags: ['Admin: audit'],
        summary: 'Read the audit trail',
        description:
          'Who changed what and when, with the record before and after; page with `cursor` = the last entry id.',
        querystring: AuditQuery,
        response: {
          200: AuditPage,
          400: ValidationErrorResponse,
          401: ErrorResponse,
          403: ErrorResponse,
          503: ErrorResponse,
        },
      },
    },
    async (request) => audit.page(request.query),
  );
};
