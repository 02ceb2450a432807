// GET /admin/audit: the audit log, newest first, filtered (audit:read).
import type { FastifyPluginAsync } from 'fastify';
import { errorResponses } from '../../core/http/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { PrincipalGuard } from '../rbac/index.ts';
import { auditEntrySchema, UUID } from './admin.schemas.ts';

export interface AdminAuditRoutesOptions {
  audit: AuditService;
  principals: PrincipalGuard;
}

export const adminAuditRoutes: FastifyPluginAsync<AdminAuditRoutesOptions> = async (app, { audit, principals }) => {
  app.get<{ Querystring: { userId?: string; actorId?: string; type?: string; from?: string; to?: string; success?: boolean; cursor?: string; limit?: number } }>('/audit', {
    onRequest: principals.require('audit:read'),
    schema: {
      tags: ['admin'], summary: 'The audit log, newest first',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          userId: { type: 'string', pattern: UUID, description: 'Entries about this user' },
          actorId: { type: 'string', maxLength: 64, description: 'Entries by this user or service account' },
          type: { type: 'string', maxLength: 2000, description: 'One type or a comma list (docs/api.md lists them)' },
          from: { type: 'string', maxLength: 40, description: 'ISO-8601, inclusive' },
          to: { type: 'string', maxLength: 40, description: 'ISO-8601, exclusive' },
          success: { type: 'boolean' },
          cursor: { type: 'string', maxLength: 20, description: '`nextCursor` of the previous page' },
          limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
        },
      },
      response: { 200: { type: 'object', required: ['entries', 'nextCursor'], properties: { entries: { type: 'array', items: auditEntrySchema }, nextCursor: { type: ['string', 'null'] } } }, ...errorResponses(400, 401, 403) },
    },
  }, async (req) => audit.list(req.query));
};
