// The myauth profile: a NestJS email-and-password service. Its clients sign up with
// `{email, password}`, prove the address with the verification id and the mailed code
// (which signs them in), send the sign-in's second factor as `{token_id, code}`, carry one
// bearer token, and read errors as `{statusCode, error, message}`. Every step is
// Tessera's own: the account module's registration and proofs, the password sign-in, the
// MFA module's challenge, and the one gate for every session.
import type { FastifyError, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { PasswordHasher } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import { profileErrors } from './errors.ts';
import { bearerToken, rateLimitHook, sessionContext } from '../../core/http/index.ts';
import type { RateLimiter } from '../../core/limits/index.ts';
import type { AccountService } from '../account/index.ts';
import type { AuthService } from '../auth/index.ts';
import type { MfaService } from '../mfa/index.ts';
import type { SessionRow, SessionsService } from '../sessions/index.ts';
import { firstFactorOf, type PasswordSignIn, type SignInGate } from '../sign-in/index.ts';
import { normalizeEmail, type UserRow, type UsersService } from '../users/index.ts';

export interface MyauthRoutesOptions {
  auth: Pick<AuthService, 'logout'>;
  passwordSignIn: PasswordSignIn;
  gate: Pick<SignInGate, 'complete'>;
  account: Pick<AccountService, 'register' | 'verifyEmail' | 'resendVerificationFor' | 'forgotPassword' | 'resetPassword'>;
  users: Pick<UsersService, 'findById'>;
  mfa: Pick<MfaService, 'completeLogin' | 'challengeUser' | 'methodsOf' | 'enableEmail' | 'list' | 'remove' | 'requireRecent' | 'reauthenticate'>;
  sessions: Pick<SessionsService, 'list'>;
  passwords: Pick<PasswordHasher, 'verify'>;
  limiter: RateLimiter;
  limits: { login: RateLimiter; signup: RateLimiter };
  guard: (req: FastifyRequest) => Promise<void>;
  locale: (acceptLanguage: string | undefined) => string;
}

const tags = ['compat'];
const str = (max: number) => ({ type: 'string', minLength: 1, maxLength: max }) as const;
const obj = (required: string[], properties: Record<string, unknown>) => ({ type: 'object', additionalProperties: false, required, properties }) as const;
const email = { type: 'string', minLength: 3, maxLength: 254 } as const;
const uuid = { type: 'string', format: 'uuid' } as const;
const failure = {
  type: 'object', required: ['statusCode', 'error', 'message'],
  properties: { statusCode: { type: 'integer' }, error: { type: 'string', description: "Tessera's error code" }, message: { type: 'string' }, verification_id: uuid, expires_at: { type: 'string' } },
} as const;
const pending = { type: 'object', required: ['verification_id', 'expires_at'], properties: { verification_id: uuid, expires_at: { type: 'string', format: 'date-time' } } } as const;
const tokenBody = { type: 'object', required: ['token'], properties: { token: { type: 'string' } } } as const;
const message = { type: 'object', required: ['message'], properties: { message: { type: 'string' } } } as const;
const bearer = [{ bearerAuth: [] }];
const session = {
  type: 'object', required: ['id', 'expires_at', 'client', 'ip', 'parsed_location'],
  properties: {
    id: uuid, expires_at: { type: 'string', format: 'date-time' },
    client: { type: ['string', 'null'], description: 'Browser and system of the sign-in (`Chrome 120 on macOS 14`), or the client name' },
    ip: { type: ['string', 'null'] },
    parsed_location: { type: ['string', 'null'], description: '`City, Region, Country` of the sign-in address (AUTH_GEOIP_DB), or null' },
    current: { type: 'boolean' },
  },
} as const;
const mfaState = { type: 'object', required: ['is_mfa_enabled'], properties: { is_mfa_enabled: { type: 'boolean' }, recovery_codes: { type: ['array', 'null'], items: { type: 'string' } } } } as const;

/**
 * myauth's error body: `{statusCode, error, message}`, `error` being Tessera's code; the
 * second factor's challenge adds `verification_id` and `expires_at`.
 */
function myauthBody(err: FastifyError, status: number, code: string): Record<string, unknown> {
  if (err instanceof AppError && err.code === 'mfa_required') {
    return {
      statusCode: status, error: code, message: 'A second factor is required: send its code to /sign-in/mfa with the verification_id',
      verification_id: err.fields?.verification_id, expires_at: err.fields?.expires_at,
    };
  }
  return { statusCode: status, error: code, message: err.message };
}

function locationText(location: SessionRow['location']): string | null {
  const l = location as { city?: string | null; region?: string | null; countryName?: string | null; country?: string | null } | null;
  if (!l) return null;
  const parts = [l.city, l.region, l.countryName ?? l.country].filter((p): p is string => typeof p === 'string' && p !== '');
  return parts.length ? parts.join(', ') : null;
}

function clientText(s: SessionRow): string | null {
  const device = [s.browser, s.os].filter(Boolean).join(' on ');
  return device || s.user_agent || s.client || null;
}

const sessionView = (s: SessionRow, currentId?: string) => ({
  id: s.id, expires_at: s.expires_at.toISOString(), client: clientText(s), ip: s.ip, parsed_location: locationText(s.location),
  ...(currentId !== undefined ? { current: s.id === currentId } : {}),
});

const userView = (u: UserRow) => {
  const image = (u.metadata as Record<string, unknown> | null)?.image_url;
  return { id: u.id, email: u.email, is_email_verified: u.email_verified, image_url: typeof image === 'string' ? image : null };
};

export const myauthRoutes: FastifyPluginAsync<MyauthRoutesOptions> = async (app, o) => {
  app.setErrorHandler(profileErrors(app.errorHandler as never, myauthBody));
  const caller = (req: FastifyRequest) => {
    if (!req.auth) throw new AppError('unauthorized');
    return req.auth;
  };
  const signedIn = (req: FastifyRequest) => sessionContext(req, 'native');

  app.post<{ Body: { email: string; password: string } }>('/sign-up', {
    schema: {
      tags, summary: 'myauth: sign up with an email and a password; the code to verify it is mailed',
      body: obj(['email', 'password'], { email, password: str(1024) }), response: { 201: pending, '4xx': failure },
    },
    onRequest: rateLimitHook(o.limits.signup, 'register'),
  }, async (req, reply) => {
    const r = await o.account.register({ email: req.body.email, password: req.body.password, locale: o.locale(req.headers['accept-language']) });
    if (!r.verification) throw new AppError('email_required');
    return reply.status(201).send({ verification_id: r.verification.id, expires_at: r.verification.expiresAt.toISOString() });
  });

  app.post<{ Body: { token_id: string; code: string } }>('/verify-email', {
    schema: {
      tags, summary: 'myauth: prove the address with the sign-up verification id and the mailed code; signs in',
      body: obj(['token_id', 'code'], { token_id: uuid, code: str(32) }), response: { 200: tokenBody, '4xx': failure },
    },
    onRequest: rateLimitHook(o.limiter, 'verify-email'),
  }, async (req) => {
    const verified = await o.account.verifyEmail({ id: req.body.token_id, code: req.body.code });
    const user = await o.users.findById(verified.id);
    if (!user) throw new AppError('email_token_invalid');
    // The code reached the address's inbox and the id reached the registrant: the same
    // proof as an emailed sign-in code, and it goes through the same gate.
    const r = await o.gate.complete({ user, method: 'email_code', amr: ['otp'] }, signedIn(req));
    return { token: r.accessToken };
  });

  app.post<{ Body: { token_id: string } }>('/resend/verification/email', {
    schema: {
      tags, summary: 'myauth: a new verification code for the holder of an earlier verification id',
      body: obj(['token_id'], { token_id: uuid }), response: { 200: pending, '4xx': failure },
    },
    onRequest: rateLimitHook(o.limiter, 'verify-email'),
  }, async (req) => {
    const sent = await o.account.resendVerificationFor(req.body.token_id);
    return { verification_id: sent.id, expires_at: sent.expiresAt.toISOString() };
  });

  app.post<{ Body: { email: string; password: string } }>('/sign-in/credentials', {
    schema: {
      tags, summary: 'myauth: sign in; answers `{token}`, or 401 `mfa_required` with the second factor\'s verification id',
      body: obj(['email', 'password'], { email, password: str(1024) }), response: { 200: tokenBody, '4xx': failure },
    },
    onRequest: rateLimitHook(o.limits.login, 'login'),
  }, async (req) => {
    const r = await o.passwordSignIn.login({ email: req.body.email, password: req.body.password }, signedIn(req));
    return { token: r.accessToken };
  });

  app.post<{ Body: { token_id: string; code: string } }>('/sign-in/mfa', {
    schema: {
      tags, summary: 'myauth: the second factor\'s code for the verification id of `mfa_required`',
      body: obj(['token_id', 'code'], { token_id: uuid, code: str(64) }), response: { 200: tokenBody, '4xx': failure },
    },
    onRequest: rateLimitHook(o.limiter, 'login-mfa'),
  }, async (req) => {
    // myauth's second factor is the mailed code; an account that also has others answers
    // with the first of email, authenticator app, text message, recovery code it has.
    const userId = await o.mfa.challengeUser(req.body.token_id);
    const methods = await o.mfa.methodsOf(userId);
    const method = (['email', 'totp', 'sms', 'recovery'] as const).find((m) => methods.includes(m as never));
    if (!method) throw new AppError('mfa_challenge_invalid');
    const done = await o.mfa.completeLogin(req.body.token_id, method, req.body.code);
    const r = await o.gate.complete({ user: done.user, method: firstFactorOf(done.amr), amr: done.amr, secondFactorDone: true }, sessionContext(req, done.client));
    return { token: r.accessToken };
  });

  app.get('/me', {
    schema: {
      tags, summary: 'myauth: the signed-in user and this session', security: bearer,
      response: { 200: { type: 'object', required: ['session', 'user'], properties: { session, user: { type: 'object', properties: { id: uuid, email: { type: ['string', 'null'] }, is_email_verified: { type: 'boolean' }, image_url: { type: ['string', 'null'] } } } } }, '4xx': failure },
    },
    onRequest: o.guard,
  }, async (req) => {
    const { user, claims } = caller(req);
    const current = (await o.sessions.list(user.id)).find((s) => s.id === claims.sid);
    if (!current) throw new AppError('session_revoked');
    return { session: sessionView(current), user: userView(user) };
  });

  app.get('/me/all', {
    schema: { tags, summary: 'myauth: every active session of the signed-in user, newest first', security: bearer, response: { 200: { type: 'array', items: session }, '4xx': failure } },
    onRequest: o.guard,
  }, async (req) => {
    const { user, claims } = caller(req);
    return (await o.sessions.list(user.id)).map((s) => sessionView(s, claims.sid));
  });

  app.delete('/logout', {
    schema: { tags, summary: 'myauth: end this session', security: bearer, response: { 200: message, '4xx': failure } },
    onRequest: o.guard,
  }, async (req) => {
    caller(req);
    await o.auth.logout({ accessToken: bearerToken(req) }, 'local');
    return { message: 'Logged out' };
  });

  app.delete('/logout/all', {
    schema: { tags, summary: 'myauth: end every other session of the signed-in user (this one stays)', security: bearer, response: { 200: message, '4xx': failure } },
    onRequest: o.guard,
  }, async (req) => {
    caller(req);
    await o.auth.logout({ accessToken: bearerToken(req) }, 'others');
    return { message: 'Logged out of other sessions' };
  });

  app.patch('/enable/mfa', {
    schema: { tags, summary: 'myauth: turn on the mailed sign-in code as a second factor (a verified address is needed)', security: bearer, response: { 200: mfaState, '4xx': failure } },
    onRequest: [rateLimitHook(o.limiter, 'mfa'), o.guard],
  }, async (req) => {
    const { user } = caller(req);
    const r = await o.mfa.enableEmail(user);
    return { is_mfa_enabled: true, recovery_codes: r.recoveryCodes };
  });

  app.patch<{ Body: { password?: string } | undefined }>('/disable/mfa', {
    schema: {
      tags, summary: 'myauth: remove every second factor; needs a recent sign-in, or the password in the body', security: bearer,
      body: obj([], { password: str(1024) }), response: { 200: mfaState, '4xx': failure },
    },
    onRequest: [rateLimitHook(o.limiter, 'mfa'), o.guard],
  }, async (req) => {
    const { user, claims } = caller(req);
    if (req.body?.password !== undefined) await o.mfa.reauthenticate(user, claims.sid, { password: req.body.password }, async (hash, pw) => (await o.passwords.verify(hash, pw)).ok);
    await o.mfa.requireRecent(claims.sid);
    const { factors } = await o.mfa.list(user.id);
    if (!factors.length) throw new AppError('mfa_not_enabled');
    for (const f of factors) await o.mfa.remove(user.id, f.id);
    return { is_mfa_enabled: false, recovery_codes: null };
  });

  app.get<{ Querystring: { email: string } }>('/reset/password', {
    schema: {
      tags, summary: 'myauth: mail a password-reset code (the answer is the same whether or not an account exists)',
      querystring: obj(['email'], { email }), response: { 200: message, '4xx': failure },
    },
    onRequest: rateLimitHook(o.limiter, 'password'),
  }, async (req) => {
    await o.account.forgotPassword(req.query.email);
    return { message: 'If an account exists for this address, a reset code is on its way' };
  });

  app.patch<{ Body: { email: string; code: string; password: string } }>('/reset/password', {
    schema: {
      tags, summary: 'myauth: set a new password with the mailed reset code; ends every session',
      body: obj(['email', 'code', 'password'], { email, code: str(64), password: str(1024) }), response: { 200: message, '4xx': failure },
    },
    onRequest: rateLimitHook(o.limiter, 'password'),
  }, async (req) => {
    await o.account.resetPassword({ email: normalizeEmail(req.body.email), code: req.body.code }, req.body.password);
    return { message: 'Password updated' };
  });
};
