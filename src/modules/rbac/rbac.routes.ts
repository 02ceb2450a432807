// What the caller may do: GET /auth/permissions and POST /auth/authorize, for apps and
// services that ask Tessera instead of reading the token.
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../core/errors/index.ts';
import { errorResponses } from '../../core/http/index.ts';
import { allows } from './names.ts';
import type { PrincipalGuard } from './guard.ts';

export interface RbacRoutesOptions {
  principals: PrincipalGuard;
  /**
   * A user's permissions in an organization they are a member of (undefined otherwise), or
   * without `organizationId`, in the session's active organization (the organizations module).
   */
  organizationAccess?: (userId: string, sessionId: string, organizationId?: string) => Promise<{ id: string; permissions: string[] } | undefined>;
}

export const rbacRoutes: FastifyPluginAsync<RbacRoutesOptions> = async (app, { principals, organizationAccess }) => {
  const orgOf = async (p: Awaited<ReturnType<PrincipalGuard['authenticate']>>, organizationId?: string) =>
    p.kind === 'user' && organizationAccess ? organizationAccess(p.user.id, p.claims.sid, organizationId) : undefined;
  const orgSchema = { type: 'object', properties: { id: { type: 'string' }, permissions: { type: 'array', items: { type: 'string' } } } } as const;

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
            organization: { ...orgSchema, description: "The session's active organization and the permissions of the user's role in it (absent: none)" },
          },
        },
        ...errorResponses(401, 403),
      },
    },
  }, async (req) => {
    const p = await principals.authenticate(req);
    const permissions = [...p.permissions].sort();
    if (p.kind !== 'user') return { clientId: p.clientId, permissions };
    const organization = await orgOf(p);
    return { role: p.user.role, roles: p.roles, permissions, ...(organization ? { organization } : {}) };
  });

  app.post<{ Body: { permission: string; organization?: string } }>('/authorize', {
    schema: {
      tags: ['auth'],
      summary: 'Whether the caller holds a permission now: 200, or 403 forbidden',
      description: 'Without `organization`: through the user\'s roles, or their role in the session\'s active organization (`organization` in the answer then names it). With `organization`: only through the role in that organization, of which the user must be a member now (anyone else is refused).',
      security: [{ bearerAuth: [] }],
      body: {
        type: 'object', required: ['permission'], additionalProperties: false,
        properties: { permission: { type: 'string', minLength: 1, maxLength: 130 }, organization: { type: 'string', format: 'uuid', description: 'Check inside this organization' } },
      },
      response: {
        200: { type: 'object', required: ['allowed', 'permission'], properties: { allowed: { type: 'boolean' }, permission: { type: 'string' }, organization: { type: 'string', description: 'The organization whose role granted it (absent: the user\'s own roles)' } } },
        ...errorResponses(400, 401, 403),
      },
    },
  }, async (req) => {
    const p = await principals.authenticate(req);
    const { permission, organization } = req.body;
    // Inside a named organization only the membership counts (a member of A never gets B).
    if (organization !== undefined) {
      const org = await orgOf(p, organization);
      if (!org || !allows(new Set(org.permissions), permission)) throw new AppError('forbidden', { details: { permission, organization } });
      return { allowed: true, permission, organization: org.id };
    }
    if (allows(p.permissions, permission)) return { allowed: true, permission };
    const active = await orgOf(p);
    if (active && allows(new Set(active.permissions), permission)) return { allowed: true, permission, organization: active.id };
    throw new AppError('forbidden', { details: { permission } });
  });
};
