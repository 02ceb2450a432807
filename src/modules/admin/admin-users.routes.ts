// /admin/users: list, read, create, change, disable, delete users, and act on their
// sessions, factors, locks, passwords and roles. Each route names its permission.
import type { FastifyPluginAsync } from 'fastify';
import { errorResponses } from '../../core/http/index.ts';
import { callerOfRequest, type PrincipalGuard, type RbacService } from '../rbac/index.ts';
import type { AdminService, UserListParams } from './admin.service.ts';
import { idParams, message, metadataSchema, roleParam, UUID, userDetailSchema, userSchema } from './admin.schemas.ts';

export interface AdminUsersRoutesOptions {
  admin: AdminService;
  rbac: RbacService;
  principals: PrincipalGuard;
}

// Each route's bearer requirement and permission are added to its schema by admin.routes.ts.

export const adminUsersRoutes: FastifyPluginAsync<AdminUsersRoutesOptions> = async (app, { admin, rbac, principals }) => {
  const need = (p: string) => ({ onRequest: principals.require(p) });
  const tags = ['admin'];
  const usernameField = { type: 'string', minLength: 3, maxLength: 50, pattern: '^[\\p{L}\\p{N}][\\p{L}\\p{N}._-]*$' } as const;
  const emailField = { type: 'string', minLength: 3, maxLength: 254, format: 'email' } as const;

  app.get<{ Querystring: UserListParams }>('/users', {
    ...need('users:read'),
    schema: {
      tags, summary: 'List users (cursor pagination, search, filters, sort)',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          q: { type: 'string', minLength: 1, maxLength: 254, description: 'Substring of the email or username (case-insensitive)' },
          role: { ...roleParam, description: 'Users holding this role (default or extra)' },
          active: { type: 'boolean' }, verified: { type: 'boolean' }, mfa: { type: 'boolean', description: 'Has an active factor or a passkey' },
          sort: { type: 'string', enum: ['created_at', '-created_at', 'email', '-email', 'username', '-username'], default: '-created_at' },
          cursor: { type: 'string', maxLength: 1024, description: '`nextCursor` of the previous page (same sort)' },
          limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
        },
      },
      response: { 200: { type: 'object', required: ['users', 'nextCursor'], properties: { users: { type: 'array', items: userSchema }, nextCursor: { type: ['string', 'null'] } } }, ...errorResponses(400, 401, 403) },
    },
  }, async (req) => admin.listUsers(req.query));

  app.post<{ Body: { username: string; email?: string; password?: string; role?: string; roles?: string[]; emailVerified?: boolean; metadata?: Record<string, unknown>; locale?: string; sendPasswordSetup?: boolean } }>('/users', {
    ...need('users:write'),
    schema: {
      tags, summary: 'Create a user, with or without a password',
      description: 'Without `password`, `sendPasswordSetup: true` emails a link and code to choose one. `email` is required unless AUTH_EMAIL_REQUIRED=false (`sendPasswordSetup` then needs an address: 400 `email_required`). `role` (default role) and `roles` need `roles:manage` too, and only roles whose permissions the caller holds.',
      body: {
        type: 'object', required: ['username'], additionalProperties: false,
        properties: {
          username: usernameField, email: emailField, password: { type: 'string', minLength: 1, maxLength: 1024 },
          role: roleParam, roles: { type: 'array', maxItems: 50, items: roleParam }, emailVerified: { type: 'boolean' },
          metadata: metadataSchema, locale: { type: 'string', pattern: '^[a-z]{2}(-[A-Z]{2})?$' }, sendPasswordSetup: { type: 'boolean' },
        },
      },
      response: { 201: { type: 'object', required: ['user'], properties: { user: userSchema } }, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (req, reply) => reply.status(201).send(await admin.createUser(callerOfRequest(req), req.body)));

  app.get<{ Params: { id: string } }>('/users/:id', {
    ...need('users:read'),
    schema: { tags, summary: 'A user with roles, permissions, sessions, factors and passkeys', params: idParams, response: { 200: userDetailSchema, ...errorResponses(400, 401, 403, 404) } },
  }, async (req) => admin.getUser(req.params.id));

  app.patch<{ Params: { id: string }; Body: { username?: string; email?: string; emailVerified?: boolean; metadata?: Record<string, unknown>; role?: string } }>('/users/:id', {
    ...need('users:write'),
    schema: {
      tags, summary: 'Change username, email, verified flag, metadata or default role',
      description: 'A changed email is unverified unless `emailVerified` says otherwise. `role` needs `roles:manage`.',
      params: idParams,
      body: {
        type: 'object', additionalProperties: false, minProperties: 1,
        properties: { username: usernameField, email: emailField, emailVerified: { type: 'boolean' }, metadata: metadataSchema, role: roleParam },
      },
      response: { 200: userDetailSchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (req) => admin.updateUser(callerOfRequest(req), req.params.id, req.body));

  app.delete<{ Params: { id: string } }>('/users/:id', {
    ...need('users:delete'),
    schema: { tags, summary: 'Delete a user and everything that hangs on it', params: idParams, response: { 200: message, ...errorResponses(400, 401, 403, 404, 409) } },
  }, async (req) => {
    await admin.deleteUser(callerOfRequest(req), req.params.id);
    return { message: 'User deleted' };
  });

  for (const [action, active] of [['disable', false], ['enable', true]] as const) {
    app.post<{ Params: { id: string } }>(`/users/:id/${action}`, {
      ...need('users:write'),
      schema: {
        tags, summary: active ? 'Enable a user' : 'Disable a user: every session ends at once, sign-in is refused', params: idParams,
        response: { 200: userDetailSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    }, async (req) => admin.setActive(callerOfRequest(req), req.params.id, active));
  }

  app.delete<{ Params: { id: string } }>('/users/:id/sessions', {
    ...need('sessions:revoke'),
    schema: {
      tags, summary: "End every session of a user", params: idParams,
      response: { 200: { type: 'object', required: ['revoked'], properties: { revoked: { type: 'integer' } } }, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (req) => ({ revoked: await admin.revokeSessions(callerOfRequest(req), req.params.id) }));

  app.delete<{ Params: { id: string; sessionId: string } }>('/users/:id/sessions/:sessionId', {
    ...need('sessions:revoke'),
    schema: {
      tags, summary: 'End one session of a user',
      params: { type: 'object', required: ['id', 'sessionId'], properties: { id: { type: 'string', pattern: UUID }, sessionId: { type: 'string', pattern: UUID } } },
      response: { 200: { type: 'object', required: ['revoked'], properties: { revoked: { type: 'integer' } } }, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (req) => ({ revoked: await admin.revokeSessions(callerOfRequest(req), req.params.id, req.params.sessionId) }));

  app.post<{ Params: { id: string } }>('/users/:id/mfa/reset', {
    ...need('users:write'),
    schema: {
      tags, summary: "Remove a user's factors, recovery codes and passkeys", params: idParams,
      response: { 200: { type: 'object', required: ['factors', 'passkeys'], properties: { factors: { type: 'integer' }, passkeys: { type: 'integer' } } }, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (req) => admin.resetMfa(callerOfRequest(req), req.params.id));

  app.post<{ Params: { id: string } }>('/users/:id/unlock', {
    ...need('users:write'),
    schema: { tags, summary: "Lift a user's sign-in lock (after repeated failures)", params: idParams, response: { 200: message, ...errorResponses(400, 401, 403, 404) } },
  }, async (req) => {
    await admin.unlock(callerOfRequest(req), req.params.id);
    return { message: 'Unlocked' };
  });

  app.post<{ Params: { id: string } }>('/users/:id/password-reset', {
    ...need('users:write'),
    schema: {
      tags, summary: 'Force a password reset: sessions end, a reset email is sent, and sign-in answers password_expired until a new password is set',
      params: idParams, response: { 200: message, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (req) => {
    await admin.forcePasswordReset(callerOfRequest(req), req.params.id);
    return { message: 'Password reset required' };
  });

  const rolesBody = { type: 'object', required: ['role', 'roles', 'permissions'], properties: { role: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, permissions: { type: 'array', items: { type: 'string' } } } } as const;
  app.get<{ Params: { id: string } }>('/users/:id/roles', {
    ...need('users:read'),
    schema: { tags, summary: "A user's roles and effective permissions", params: idParams, response: { 200: rolesBody, ...errorResponses(400, 401, 403, 404) } },
  }, async (req) => {
    const d = await admin.getUser(req.params.id);
    return { role: d.user.role, roles: d.user.roles, permissions: d.permissions };
  });

  const userRoleParams = { type: 'object', required: ['id', 'role'], properties: { id: { type: 'string', pattern: UUID }, role: roleParam } } as const;
  app.put<{ Params: { id: string; role: string } }>('/users/:id/roles/:role', {
    ...need('roles:manage'),
    schema: { tags, summary: 'Assign an extra role (idempotent)', params: userRoleParams, response: { 200: rolesBody, ...errorResponses(400, 401, 403, 404) } },
  }, async (req) => {
    await rbac.assignRole(callerOfRequest(req), req.params.id, req.params.role);
    const a = await rbac.accessOf(req.params.id);
    return { role: a.roles[0], roles: a.roles, permissions: a.permissions };
  });

  app.delete<{ Params: { id: string; role: string } }>('/users/:id/roles/:role', {
    ...need('roles:manage'),
    schema: { tags, summary: 'Take an extra role away (the default role is changed with PATCH)', params: userRoleParams, response: { 200: rolesBody, ...errorResponses(400, 401, 403, 404, 409) } },
  }, async (req) => {
    await rbac.removeRole(callerOfRequest(req), req.params.id, req.params.role);
    const a = await rbac.accessOf(req.params.id);
    return { role: a.roles[0], roles: a.roles, permissions: a.permissions };
  });
};
