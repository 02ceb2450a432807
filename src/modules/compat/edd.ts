// The edd profile: a small service with username accounts, a display name, a bearer token,
// and an administrator's user list. Its clients sign in with `{username, password}`, read
// `/me`, and its administrators list, create and delete users under `/admin/users`; errors
// are `{error, code}`. Sign-in is the password sign-in (so the one gate); the user list is
// the admin service, with its permissions (`users:read`, `users:write`, `users:delete`,
// `roles:manage` to create an administrator) and its rule that nobody acts on a user who
// holds more than they do. Requires AUTH_EMAIL_REQUIRED=false (checked at start-up).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors/index.ts';
import { profileErrors } from './errors.ts';
import { bearerToken, rateLimitHook, sessionContext } from '../../core/http/index.ts';
import type { RateLimiter } from '../../core/limits/index.ts';
import type { AdminService } from '../admin/index.ts';
import type { AuthService } from '../auth/index.ts';
import { callerOfRequest, type PrincipalGuard, type RbacService } from '../rbac/index.ts';
import type { PasswordSignIn } from '../sign-in/index.ts';
import type { UsersService } from '../users/index.ts';

export interface EddRoutesOptions {
  auth: Pick<AuthService, 'logout'>;
  passwordSignIn: PasswordSignIn;
  admin: Pick<AdminService, 'listUsers' | 'createUser' | 'deleteUser'>;
  users: Pick<UsersService, 'findById'>;
  rbac: Pick<RbacService, 'accessOf'>;
  principals: PrincipalGuard;
  limits: { login: RateLimiter };
  guard: (req: FastifyRequest) => Promise<void>;
}

const tags = ['compat'];
const ADMIN_ROLES = ['admin', 'super_admin'];
const username = { type: 'string', minLength: 3, maxLength: 50, pattern: '^[\\p{L}\\p{N}][\\p{L}\\p{N}._-]*$' } as const;
const displayName = { type: 'string', minLength: 1, maxLength: 100 } as const;
const failure = { type: 'object', required: ['error', 'code'], properties: { error: { type: 'string' }, code: { type: 'string', description: "Tessera's error code" } } } as const;
const user = {
  type: 'object', required: ['id', 'username', 'display_name', 'is_admin'],
  properties: {
    id: { type: 'string', format: 'uuid' }, username: { type: 'string' }, display_name: { type: 'string' },
    is_admin: { type: 'boolean' }, created_at: { type: 'string', format: 'date-time' },
  },
} as const;
const bearer = [{ bearerAuth: [] }];
const PAGE = 100;
const MAX_LIST = 1000;

/** The display name lives in the user's metadata (`display_name`); the username stands in when unset. */
const displayOf = (u: { username: string; metadata: unknown }) => {
  const d = (u.metadata as Record<string, unknown> | null)?.display_name;
  return typeof d === 'string' && d !== '' ? d : u.username;
};
const view = (u: { id: string; username: string; metadata: unknown; createdAt?: string }, roles: string[]) => ({
  id: u.id, username: u.username, display_name: displayOf(u), is_admin: roles.some((r) => ADMIN_ROLES.includes(r)),
  ...(u.createdAt ? { created_at: u.createdAt } : {}),
});

export const eddRoutes: FastifyPluginAsync<EddRoutesOptions> = async (app, o) => {
  // edd's error body: `{error, code}`.
  app.setErrorHandler(profileErrors(app.errorHandler as never, (err, _status, code) => ({ error: err.message, code })));
  const need = (p: string) => o.principals.require(p);

  app.post<{ Body: { username: string; password: string } }>('/login', {
    schema: {
      tags, summary: 'edd: sign in with a username and a password',
      body: { type: 'object', additionalProperties: false, required: ['username', 'password'], properties: { username: { type: 'string', minLength: 1, maxLength: 254 }, password: { type: 'string', minLength: 1, maxLength: 1024 } } },
      response: { 200: { type: 'object', required: ['token', 'user'], properties: { token: { type: 'string' }, user } }, '4xx': failure },
    },
    onRequest: rateLimitHook(o.limits.login, 'login'),
  }, async (req) => {
    const r = await o.passwordSignIn.login({ username: req.body.username, password: req.body.password }, sessionContext(req, 'native'));
    const [access, row] = await Promise.all([o.rbac.accessOf(r.user.id), o.users.findById(r.user.id)]);
    return { token: r.accessToken, user: view({ id: r.user.id, username: r.user.username, metadata: row?.metadata ?? null }, access.roles) };
  });

  app.post('/logout', {
    schema: { tags, summary: 'edd: end this session', security: bearer, response: { 200: { type: 'object', properties: { ok: { const: true } } }, '4xx': failure } },
    onRequest: o.guard,
  }, async (req) => {
    if (!req.auth) throw new AppError('unauthorized');
    await o.auth.logout({ accessToken: bearerToken(req) }, 'local');
    return { ok: true };
  });

  app.get('/me', {
    schema: { tags, summary: 'edd: the signed-in user', security: bearer, response: { 200: user, '4xx': failure } },
    onRequest: o.guard,
  }, async (req) => {
    if (!req.auth) throw new AppError('unauthorized');
    const u = req.auth.user;
    return view({ id: u.id, username: u.username, metadata: u.metadata, createdAt: u.created_at.toISOString() }, (await o.rbac.accessOf(u.id)).roles);
  });

  app.get<{ Querystring: { cursor?: string } }>('/admin/users', {
    schema: {
      tags, summary: `edd: every user, oldest first (up to ${MAX_LIST}; then the X-Next-Cursor header gives the next page's \`cursor\`)`, security: bearer,
      querystring: { type: 'object', additionalProperties: false, properties: { cursor: { type: 'string', maxLength: 1024 } } },
      response: { 200: { type: 'array', items: user }, '4xx': failure },
    },
    onRequest: need('users:read'),
  }, async (req, reply) => {
    const out: ReturnType<typeof view>[] = [];
    let cursor = req.query.cursor;
    do {
      const page = await o.admin.listUsers({ sort: 'created_at', limit: PAGE, ...(cursor ? { cursor } : {}) });
      for (const u of page.users) out.push(view(u, u.roles));
      cursor = page.nextCursor ?? undefined;
    } while (cursor && out.length < MAX_LIST);
    if (cursor) reply.header('x-next-cursor', cursor);
    return out;
  });

  app.post<{ Body: { username: string; password: string; display_name?: string; is_admin?: boolean } }>('/admin/users', {
    schema: {
      tags, summary: 'edd: create a user (an administrator with `is_admin`, which needs `roles:manage`)', security: bearer,
      body: { type: 'object', additionalProperties: false, required: ['username', 'password'], properties: { username, password: { type: 'string', minLength: 1, maxLength: 1024 }, display_name: displayName, is_admin: { type: 'boolean' } } },
      response: { 201: user, '4xx': failure },
    },
    onRequest: need('users:write'),
  }, async (req, reply) => {
    const { user: created } = await o.admin.createUser(callerOfRequest(req), {
      username: req.body.username, password: req.body.password, emailVerified: false,
      ...(req.body.display_name !== undefined ? { metadata: { display_name: req.body.display_name } } : {}),
      ...(req.body.is_admin ? { role: 'admin' } : {}),
    });
    return reply.status(201).send(view(created, created.roles));
  });

  app.delete<{ Params: { id: string } }>('/admin/users/:id', {
    schema: {
      tags, summary: 'edd: delete a user', security: bearer,
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
      response: { 204: { type: 'null' }, '4xx': failure },
    },
    onRequest: need('users:delete'),
  }, async (req, reply) => {
    await o.admin.deleteUser(callerOfRequest(req), req.params.id);
    return reply.status(204).send();
  });
};
