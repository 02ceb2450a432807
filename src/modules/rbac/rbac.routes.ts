// What the caller may do: GET /auth/permissions and POST /auth/authorize, for apps and
// services that ask Tessera instead of reading the token.
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../core/errors/index.ts';
import { errorResponses } from '../../core/http/index.ts';
import { allows } from './rbac.service.ts';
import type { PrincipalGuard } from './guard.ts';

export interface RbacRoutesOptions {
  principals: PrincipalGuard;
}

export const rbacRoutes: FastifyPluginAsync<RbacRoutesOptions> = async (app, { principals }) => {
  app.get('/permissions', {
    schema: {
      tags: ['auth'],
      summary: "The caller's roles and effective permissions (current, not as in the token)",
      security: [{ bearerAuth: [] }],
      response: {
        200: {
          type: 'object', required: ['permissions'],
          properties: {
            role: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } },
            permissions: { type: 'array', items: { type: 'string' } }, clientId: { type: 'string' },
          },
        },
        ...errorResponses(401, 403),
      },
    },
  }, async (req) => {
    const p = await principals.authenticate(req);
    const permissions = [...p.permissions].sort();
    return p.kind === 'user' ? { role: p.user.role, roles: p.roles, permissions } : { clientId: p.clientId, permissions };
  });

  app.post<{ Body: { permission: string } }>('/authorize', {
    schema: {
      tags: ['auth'],
      summary: 'Whether the caller holds a permission now: 200, or 403 forbidden',
      security: [{ bearerAuth: [] }],
      body: { type: 'object', required: ['permission'], additionalProperties: false, properties: { permission: { type: 'string', minLength: 1, maxLength: 130 } } },
      response: {
        200: { type: 'object', required: ['allowed', 'permission'], properties: { allowed: { type: 'boolean' }, permission: { type: 'string' } } },
        ...errorResponses(400, 401, 403),
      },
    },
  }, async (req) => {
    const p = await principals.authenticate(req);
    if (!allows(p.permissions, req.body.permission)) throw new AppError('forbidden', { details: { permission: req.body.permission } });
    return { allowed: true, permission: req.body.permission };
  });
};
