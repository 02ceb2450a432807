// The mstack profile: a Fastify username-and-password service. Its clients sign up with
// `{username, password}`, keep the one refresh token of their login, and read errors as
// `{success: false, message}`. Requires AUTH_EMAIL_REQUIRED=false and
// AUTH_REFRESH_TOKEN_ROTATION=false (checked at start-up).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors/index.ts';
import { profileErrors } from './errors.ts';
import { rateLimitHook, sessionContext } from '../../core/http/index.ts';
import type { RateLimiter } from '../../core/limits/index.ts';
import type { AccountService } from '../account/index.ts';
import type { AuthService } from '../auth/index.ts';
import type { PasswordSignIn } from '../sign-in/index.ts';

export interface MstackRoutesOptions {
  auth: AuthService;
  passwordSignIn: PasswordSignIn;
  account: Pick<AccountService, 'register'>;
  limiter: RateLimiter;
  limits: { login: RateLimiter; signup: RateLimiter };
  guard: (req: FastifyRequest) => Promise<void>;
  locale: (acceptLanguage: string | undefined) => string;
}

const credentials = {
  type: 'object',
  required: ['username', 'password'],
  properties: { username: { type: 'string', minLength: 1, maxLength: 50 }, password: { type: 'string', minLength: 1, maxLength: 1024 } },
} as const;
const refreshBody = { type: 'object', required: ['refreshToken'], properties: { refreshToken: { type: 'string', minLength: 1, maxLength: 512 } } } as const;
const failure = { type: 'object', properties: { success: { const: false }, message: { type: 'string' } } } as const;
const tags = ['compat'];

export const mstackRoutes: FastifyPluginAsync<MstackRoutesOptions> = async (app, o) => {
  // mstack's error body: `{success: false, message}`.
  app.setErrorHandler(profileErrors(app.errorHandler as never, (err) => ({ success: false, message: err.message })));

  app.post<{ Body: { username: string; password: string } }>('/signup', {
    schema: { tags, summary: 'mstack: sign up with a username and a password', body: credentials, response: { 201: { type: 'object', properties: { success: { const: true }, message: { type: 'string' } } }, '4xx': failure } },
    onRequest: rateLimitHook(o.limits.signup, 'register'),
  }, async (req, reply) => {
    await o.account.register({ username: req.body.username, password: req.body.password, locale: o.locale(req.headers['accept-language']) });
    return reply.status(201).send({ success: true, message: 'User created' });
  });

  app.post<{ Body: { username: string; password: string } }>('/login', {
    schema: { tags, summary: 'mstack: sign in; the refresh token is kept by the client', body: credentials, response: { 200: { type: 'object', properties: { token: { type: 'string' }, refreshToken: { type: 'string' } } }, '4xx': failure } },
    onRequest: rateLimitHook(o.limits.login, 'login'),
  }, async (req) => {
    const r = await o.passwordSignIn.login({ username: req.body.username, password: req.body.password }, sessionContext(req, 'native'));
    return { token: r.accessToken, refreshToken: r.refreshToken };
  });

  app.get('/verify', {
    schema: { tags, summary: 'mstack: check a bearer token', response: { 200: { type: 'object', properties: { valid: { const: true }, user: { type: 'object', properties: { username: { type: 'string' } } } } }, '4xx': failure } },
    onRequest: o.guard,
  }, async (req) => {
    if (!req.auth) throw new AppError('unauthorized');
    return { valid: true, user: { username: req.auth.user.username } };
  });

  app.post<{ Body: { refreshToken: string } }>('/refresh', {
    schema: { tags, summary: 'mstack: a new access token for the refresh token (which stays the same)', body: refreshBody, response: { 200: { type: 'object', properties: { token: { type: 'string' } } }, '4xx': failure } },
    onRequest: rateLimitHook(o.limiter, 'refresh'),
  }, async (req) => ({ token: (await o.auth.refresh(req.body.refreshToken)).accessToken }));

  app.post<{ Body: { refreshToken: string } }>('/logout', {
    schema: { tags, summary: 'mstack: end the session of this refresh token only', body: refreshBody, response: { 200: { type: 'object', properties: { success: { const: true }, message: { type: 'string' } } }, '4xx': failure } },
  }, async (req) => {
    await o.auth.logout({ refreshToken: req.body.refreshToken }, 'local');
    return { success: true, message: 'Logged out' };
  });
};
