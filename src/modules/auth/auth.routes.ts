// The core token API under /auth: thin handlers over the auth service.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors/index.ts';
import {
  bearerToken, clearRefreshCookie, optionalBody, rateLimitHook, refreshCookie, sessionContext, setRefreshCookie, setRegistrantCookie,
  type CookieSettings,
} from '../../core/http/index.ts';
import type { RateLimiter } from '../../core/limits/index.ts';
import type { PublicUser, UserRow } from '../users/index.ts';
import { toPublicUser } from '../users/index.ts';
import type { Authenticated, AuthService, LogoutScope } from './auth.service.ts';
import type { PasswordSignIn } from '../sign-in/index.ts';
import type { Captcha } from '../sign-in/index.ts';
import { loginSchema, logoutSchema, meSchema, refreshSchema, registerSchema, verifySchema } from './auth.schemas.ts';

const JSON_UTF8 = 'application/json; charset=utf-8';

declare module 'fastify' {
  interface FastifyRequest {
    auth?: Authenticated;
  }
}

export interface AuthRoutesOptions {
  auth: AuthService;
  /** The password as a first factor (through the sign-in gate). */
  password: PasswordSignIn;
  limits: { login: RateLimiter; signup: RateLimiter };
  captcha?: Captcha | undefined;
  /** Origin check for requests the refresh cookie authenticates. */
  csrf: (req: FastifyRequest) => void;
  /** Registration with its verification message. */
  register: (input: { username: string; email?: string | undefined; password: string; locale: string; metadata?: Record<string, unknown> | undefined }) => Promise<{ user: PublicUser; verification: { id: string; expiresAt: Date } | null; registrant: string }>;
  /** The language of a new account: the body's, else Accept-Language's, else `en`. */
  locale: (given: string | undefined, acceptLanguage: string | undefined) => string;
  limiter: RateLimiter;
  cookies: CookieSettings;
  /** The bearer check that sets `req.auth` (one per app, shared by every /auth plugin). */
  guard: (req: FastifyRequest) => Promise<void>;
}

interface RegisterBody { username: string; email?: string; password: string; locale?: string; captchaToken?: string; metadata?: Record<string, unknown> }
interface LoginBody { email?: string; username?: string; password: string; client?: string; captchaToken?: string; organization?: string }
interface TokenBody { refreshToken?: string }
interface LogoutBody extends TokenBody { scope?: LogoutScope }

export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (app, { auth, password, limiter, limits, captcha, csrf, cookies, guard, register, locale }) => {
  const authed = (req: FastifyRequest): Authenticated => {
    if (!req.auth) throw new AppError('unauthorized');
    return req.auth;
  };

  app.post<{ Body: RegisterBody }>('/register', { schema: registerSchema, onRequest: rateLimitHook(limits.signup, 'register') }, async (req, reply) => {
    const { locale: given, captchaToken, ...rest } = req.body;
    if (captcha) await captcha.verify(captchaToken, req.ip);
    const { user, verification, registrant } = await register({ ...rest, locale: locale(given, req.headers['accept-language']) });
    // Without an address there is nothing to verify, so no registrant to remember.
    if (!verification) return reply.status(201).send({ message: 'Account created', user, verification: null });
    // The browser that registered proves the address as the registrant (its password stays).
    setRegistrantCookie(reply, registrant, cookies, Math.max(60, Math.ceil((verification.expiresAt.getTime() - Date.now()) / 1000)));
    return reply.status(201).send({ message: 'Account created', user, verification: { id: verification.id, expiresAt: verification.expiresAt.toISOString() } });
  });

  app.post<{ Body: LoginBody }>('/login', { schema: loginSchema, onRequest: rateLimitHook(limits.login, 'login') }, async (req, reply) => {
    const body = req.body;
    if (body.email === undefined && body.username === undefined) {
      throw new AppError('validation_failed', { details: [{ field: 'email', message: 'email or username is required' }] });
    }
    const client = body.client ?? 'web';
    const result = await password.login(body, { ...sessionContext(req, client), organization: body.organization });
    if (client === 'native') return { accessToken: result.accessToken, refreshToken: result.refreshToken, user: result.user };
    setRefreshCookie(reply, result.refreshToken, cookies);
    return { accessToken: result.accessToken, user: result.user };
  });

  app.post<{ Body: TokenBody | undefined }>('/refresh', { schema: refreshSchema, onRequest: rateLimitHook(limiter, 'refresh'), preValidation: optionalBody }, async (req, reply) => {
    const fromBody = req.body?.refreshToken;
    const token = fromBody ?? refreshCookie(req);
    if (!token) throw new AppError('invalid_refresh_token', { message: 'No refresh token was sent' });
    if (!fromBody) csrf(req);
    try {
      const result = await auth.refresh(token);
      // Two strings: serialized here, without the schema's serializer walking them.
      if (fromBody) return reply.type(JSON_UTF8).send(`{"accessToken":${JSON.stringify(result.accessToken)},"refreshToken":${JSON.stringify(result.refreshToken)}}`);
      setRefreshCookie(reply, result.refreshToken, cookies);
      return reply.type(JSON_UTF8).send(`{"accessToken":${JSON.stringify(result.accessToken)}}`);
    } catch (err) {
      // A coded server-side failure (a hook failing closed) says nothing against the
      // token, which was not spent: the browser keeps it to try again.
      if (!fromBody && !(err instanceof AppError && err.status >= 500)) clearRefreshCookie(reply, cookies);
      throw err;
    }
  });

  // The hottest routes. Their handlers are synchronous (nothing to await once the guard
  // has passed), and their bodies are serialized once per user row: a cached row is one
  // immutable object until it is read again, so the WeakMap forgets a body with its row.
  // The bodies are built field by field, exactly as the response schemas list them.
  const perUserBody = (build: (user: UserRow) => unknown) => {
    const bodies = new WeakMap<UserRow, string>();
    return (req: FastifyRequest, reply: FastifyReply) => {
      const { user } = authed(req);
      let body = bodies.get(user);
      if (body === undefined) {
        body = JSON.stringify(build(user));
        bodies.set(user, body);
      }
      return reply.type(JSON_UTF8).send(body);
    };
  };
  app.get('/me', { schema: meSchema, onRequest: guard }, perUserBody((user) => ({
    ...toPublicUser(user), emailVerified: user.email_verified, locale: user.locale, metadata: user.metadata ?? {},
    lastLogin: user.last_login ? user.last_login.toISOString() : null, createdAt: user.created_at.toISOString(),
  })));
  app.get('/verify', { schema: verifySchema, onRequest: guard }, perUserBody((user) => ({ valid: true, user: toPublicUser(user) })));

  app.post<{ Body: LogoutBody | undefined; Querystring: { scope?: LogoutScope } }>('/logout', { schema: logoutSchema, preValidation: optionalBody }, async (req, reply) => {
    const accessToken = bearerToken(req);
    const cookie = refreshCookie(req);
    if (!accessToken && !req.body?.refreshToken && cookie) csrf(req);
    const scope = req.body?.scope ?? req.query.scope ?? 'global';
    // The browser's cookie goes with its session: kept only when this session stays.
    if (scope !== 'others') clearRefreshCookie(reply, cookies);
    await auth.logout({ accessToken, refreshToken: req.body?.refreshToken ?? cookie }, scope);
    return { message: 'Logged out' };
  });
};
