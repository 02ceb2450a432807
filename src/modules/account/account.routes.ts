// The email flows under /auth: thin handlers over the account and passwordless services.
// Links opened from an email (GET) end in a redirect to the application, with the
// outcome or the error code in the query string, never in a JSON page.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors/index.ts';
import { clearRefreshCookie, rateLimitHook, registrantCookie, sessionContext, setRefreshCookie, signedInBody, type CookieSettings } from '../../core/http/index.ts';
import type { RateLimiter } from '../../core/limits/index.ts';
import { isMultiFactor, type SignInGate } from '../sign-in/index.ts';
import type { Templates } from '../mail/index.ts';
import { normalizeEmail } from '../users/index.ts';
import type { AccountService } from './account.service.ts';
import * as schemas from './account.schemas.ts';
import type { Proof } from './one-time-tokens.ts';
import type { PasswordlessService } from './passwordless.service.ts';
import type { RedirectPolicy } from './redirects.ts';

export interface AccountRoutesOptions {
  /** The sign-in gate: the replacement of an expired password continues the flow there. */
  gate: Pick<SignInGate, 'complete'>;
  account: AccountService;
  passwordless: PasswordlessService;
  redirects: RedirectPolicy;
  templates: Templates;
  limiter: RateLimiter;
  cookies: CookieSettings;
  guard: (req: FastifyRequest) => Promise<void>;
  /** Step-up: the session must have proven its user recently (sensitive actions). */
  stepUp: (sessionId: string) => Promise<void>;
}

interface ProofBody { token?: string; id?: string; email?: string; code?: string; registrationId?: string }

/** The proof a body carries: a token, or a code with an id or an address. */
function proofOf(body: ProofBody): Proof {
  if (body.token !== undefined) return { token: body.token };
  if (body.code !== undefined && body.id !== undefined) return { id: body.id, code: body.code };
  if (body.code !== undefined && body.email !== undefined) return { email: normalizeEmail(body.email), code: body.code };
  throw new AppError('validation_failed', { details: [{ field: 'token', message: 'send token, or code with id or email' }] });
}

export const accountRoutes: FastifyPluginAsync<AccountRoutesOptions> = async (app, opts) => {
  const { account, passwordless, redirects, limiter, cookies, guard } = opts;
  const limit = (group: string) => rateLimitHook(limiter, group);
  const locale = (req: FastifyRequest, given?: string) => opts.templates.resolveLocale(given ?? opts.templates.fromAcceptLanguage(req.headers['accept-language']));
  const authed = (req: FastifyRequest) => {
    if (!req.auth) throw new AppError('unauthorized');
    return req.auth;
  };
  /** The end of a link opened in a browser: to the application, with the outcome. */
  const land = async (reply: FastifyReply, fn: () => Promise<string>) => {
    let target: string;
    try {
      target = await fn();
    } catch (err) {
      // A hook failing closed is expected and coded: the application can say "try again".
      if (!(err instanceof AppError) || (err.status >= 500 && err.code !== 'hook_failed')) throw err;
      // A sign-in that needs its second step carries the challenge to the application.
      const extra = Object.fromEntries(Object.entries(err.fields ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]));
      target = redirects.withParams(redirects.check(undefined), { error: err.code, ...extra });
    }
    return reply.redirect(target, 302);
  };
  const tokensFor = (reply: FastifyReply, client: string, r: { accessToken: string; refreshToken: string; user: unknown }) => signedInBody(reply, client, r, cookies);

  app.post<{ Body: ProofBody }>('/verify-email', { schema: schemas.verifyEmailSchema, onRequest: limit('verify-email') }, async (req) => {
    const user = await account.verifyEmail(proofOf(req.body), registrantCookie(req), req.body.registrationId);
    return { message: 'Email verified', user };
  });

  app.get<{ Querystring: { token: string } }>('/verify-email', { schema: schemas.verifyEmailLinkSchema, onRequest: limit('verify-email') }, async (req, reply) =>
    land(reply, async () => {
      const verified = await account.verifyEmail({ token: req.query.token }, registrantCookie(req));
      return redirects.withParams(redirects.check(undefined), { email_verified: 'true', ...(verified.credentialsCleared ? { credentials_cleared: 'true' } : {}) });
    }));

  app.post<{ Body: { email: string } }>('/verify-email/resend', { schema: schemas.resendSchema, onRequest: limit('verify-email') }, async (req) => {
    await account.resendVerification(req.body.email);
    return { message: 'If the address has an unverified account, a new verification message is on its way' };
  });

  app.post<{ Body: { email: string } }>('/password/forgot', { schema: schemas.forgotSchema, onRequest: limit('password') }, async (req) => {
    await account.forgotPassword(req.body.email);
    return { message: 'If the address has an account, a password-reset message is on its way' };
  });

  app.post<{ Body: ProofBody & { password: string } }>('/password/reset', { schema: schemas.resetSchema, onRequest: limit('password') }, async (req) => {
    await account.resetPassword(proofOf(req.body), req.body.password);
    return { message: 'Password changed; every session has been signed out' };
  });

  app.post<{ Body: { token: string; newPassword: string; client?: string } }>('/password/expired', { schema: schemas.expiredPasswordSchema, onRequest: limit('password') }, async (req, reply) => {
    const client = req.body.client ?? 'web';
    const { user, amr } = await account.replaceExpiredPassword(req.body.token, req.body.newPassword);
    return tokensFor(reply, client, await opts.gate.complete({ user, method: 'password', amr, passwordReplaced: true, secondFactorDone: isMultiFactor(amr) }, sessionContext(req, client)));
  });

  app.post<{ Body: { currentPassword: string; newPassword: string } }>('/password/change', { schema: schemas.changePasswordSchema, onRequest: [limit('password'), guard] }, async (req) => {
    const { claims } = authed(req);
    await opts.stepUp(claims.sid);
    await account.changePassword(claims.sub, claims.sid, req.body.currentPassword, req.body.newPassword);
    return { message: 'Password changed; other sessions have been signed out' };
  });

  app.post<{ Body: { email: string; redirectTo?: string; client?: string; locale?: string } }>('/magic-link', { schema: schemas.magicLinkSchema, onRequest: limit('magic-link') }, async (req) => {
    await passwordless.requestMagicLink({ email: req.body.email, redirectTo: req.body.redirectTo, client: req.body.client ?? 'web', locale: locale(req, req.body.locale) });
    return { message: 'If the address can sign in, a sign-in link is on its way' };
  });

  app.get<{ Querystring: { token: string } }>('/magic-link/verify', { schema: schemas.magicLinkLinkSchema, onRequest: limit('magic-link') }, async (req, reply) =>
    land(reply, async () => {
      const r = await passwordless.verifyMagicLink(req.query.token, sessionContext(req, 'web'));
      setRefreshCookie(reply, r.refreshToken, cookies);
      return r.redirectTo;
    }));

  app.post<{ Body: { token: string; client?: string } }>('/magic-link/verify', { schema: schemas.magicLinkVerifySchema, onRequest: limit('magic-link') }, async (req, reply) => {
    const client = req.body.client ?? 'web';
    return tokensFor(reply, client, await passwordless.verifyMagicLink(req.body.token, sessionContext(req, client)));
  });

  app.post<{ Body: { email: string; locale?: string } }>('/email-code', { schema: schemas.emailCodeSchema, onRequest: limit('email-code') }, async (req) => {
    await passwordless.requestEmailCode({ email: req.body.email, locale: locale(req, req.body.locale) });
    return { message: 'If the address can sign in, a code is on its way' };
  });

  app.post<{ Body: { email: string; code: string; client?: string } }>('/email-code/verify', { schema: schemas.emailCodeVerifySchema, onRequest: limit('email-code') }, async (req, reply) => {
    const client = req.body.client ?? 'web';
    return tokensFor(reply, client, await passwordless.verifyEmailCode(req.body.email, req.body.code, sessionContext(req, client)));
  });

  app.post<{ Body: { newEmail: string } }>('/email/change', { schema: schemas.emailChangeSchema, onRequest: [limit('email-change'), guard] }, async (req, reply) => {
    const { claims } = authed(req);
    await opts.stepUp(claims.sid);
    const r = await account.requestEmailChange(claims.sub, req.body.newEmail);
    return reply.status(202).send({ message: 'Confirm the change from the message sent to the new address', id: r.id, expiresAt: r.expiresAt.toISOString() });
  });

  app.patch<{ Body: { username: string } }>('/me', { schema: schemas.updateProfileSchema, onRequest: [limit('account'), guard] }, async (req) => {
    const { claims } = authed(req);
    return { message: 'Profile updated', user: await account.changeUsername(claims.sub, req.body.username) };
  });

  app.delete('/me', { schema: schemas.deleteAccountSchema, onRequest: [limit('account'), guard] }, async (req, reply) => {
    const { claims } = authed(req);
    await opts.stepUp(claims.sid);
    await account.deleteAccount(claims.sub);
    clearRefreshCookie(reply, cookies);
    req.log.info({ auth: 'account_deleted', userId: claims.sub }, 'account deleted by its user');
    return { message: 'Account deleted' };
  });

  app.post<{ Body: ProofBody }>('/email/change/confirm', { schema: schemas.emailChangeConfirmSchema, onRequest: limit('email-change') }, async (req) => {
    const user = await account.confirmEmailChange(proofOf(req.body));
    return { message: 'Email changed', user };
  });

  app.get<{ Querystring: { token: string } }>('/email/change/confirm', { schema: schemas.emailChangeLinkSchema, onRequest: limit('email-change') }, async (req, reply) =>
    land(reply, async () => {
      await account.confirmEmailChange({ token: req.query.token });
      return redirects.withParams(redirects.check(undefined), { email_changed: 'true' });
    }));
};
