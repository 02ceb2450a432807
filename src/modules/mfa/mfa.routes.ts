// MFA under /auth: factors (/auth/mfa...), the second step of sign-in (/auth/login/mfa)
// and step-up (/auth/reauthenticate). Enrollment takes a bearer token, or the enrollment
// token a role that requires MFA hands out at sign-in; enrolling with the latter signs in.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors/index.ts';
import { bearerToken, rateLimitHook, sessionContext, signedInBody, type CookieSettings } from '../../core/http/index.ts';
import type { RateLimiter } from '../../core/limits/index.ts';
import { firstFactorOf, type SignInGate } from '../sign-in/index.ts';
import type { UserRow, UsersService } from '../users/index.ts';
import type { Method, MfaService } from './mfa.service.ts';
import * as schemas from './mfa.schemas.ts';

export interface MfaRoutesOptions {
  mfa: MfaService;
  /** The sign-in gate: a completed second factor or enrollment continues the flow there. */
  gate: Pick<SignInGate, 'complete'>;
  users: UsersService;
  passwords: { verify(hash: string, pw: string): Promise<{ ok: boolean }> };
  limiter: RateLimiter;
  cookies: CookieSettings;
  guard: (req: FastifyRequest) => Promise<void>;
}

type Actor = { user: UserRow; sessionId?: string; enrollment?: { challengeId: string; client: string; amr: string[] } };

export const mfaRoutes: FastifyPluginAsync<MfaRoutesOptions> = async (app, opts) => {
  const { mfa, guard } = opts;
  const limit = rateLimitHook(opts.limiter, 'mfa');

  const signedIn = async (req: FastifyRequest) => {
    await guard(req);
    if (!req.auth) throw new AppError('unauthorized');
    return { user: req.auth.user, sessionId: req.auth.claims.sid };
  };
  /** The user enrolling: from the bearer token, or from an enrollment token in the body. */
  const actor = async (req: FastifyRequest): Promise<Actor> => {
    const token = (req.body as { enrollmentToken?: string } | undefined)?.enrollmentToken;
    if (token !== undefined && bearerToken(req) === undefined) {
      const e = await mfa.enrollmentUser(token);
      return { user: e.user, enrollment: { challengeId: e.challengeId, client: e.client, amr: e.amr } };
    }
    return signedIn(req);
  };
  /** Enrolled with an enrollment token: it is spent, and the user is signed in with that factor. */
  const finish = async (req: FastifyRequest, reply: FastifyReply, a: Actor, activated: object, amr: string) => {
    if (!a.enrollment) return activated;
    await mfa.spendEnrollment(a.enrollment.challengeId);
    const r = await opts.gate.complete({ user: a.user, method: firstFactorOf(a.enrollment.amr), amr: [...a.enrollment.amr, amr], secondFactorDone: true }, sessionContext(req, a.enrollment.client));
    return { ...activated, ...signedInBody(reply, a.enrollment.client, r, opts.cookies) };
  };

  app.get('/mfa', { schema: schemas.listSchema, onRequest: guard }, async (req) => mfa.list(req.auth!.user.id));

  app.post<{ Body: { enrollmentToken?: string } | undefined }>('/mfa/totp/setup', { schema: schemas.totpSetupSchema, onRequest: limit, preValidation: async (req) => { req.body ??= {}; } }, async (req) => {
    const a = await actor(req);
    return mfa.setupTotp(a.user);
  });

  app.post<{ Body: { code: string; enrollmentToken?: string } }>('/mfa/totp/verify', { schema: schemas.totpVerifySchema, onRequest: limit }, async (req, reply) => {
    const a = await actor(req);
    return finish(req, reply, a, await mfa.verifyTotp(a.user, req.body.code), 'otp');
  });

  app.post('/mfa/email', { schema: schemas.emailFactorSchema, onRequest: [limit, guard] }, async (req) => mfa.enableEmail(req.auth!.user));

  app.post<{ Body: { phone: string; enrollmentToken?: string } }>('/mfa/sms/enroll', { schema: schemas.smsEnrollSchema, onRequest: limit }, async (req) => {
    const a = await actor(req);
    const r = await mfa.enrollSms(a.user, req.body.phone);
    return { verification_id: r.verificationId, expires_at: r.expiresAt.toISOString() };
  });

  app.post<{ Body: { verification_id: string; code: string; enrollmentToken?: string } }>('/mfa/sms/verify', { schema: schemas.smsVerifySchema, onRequest: limit }, async (req, reply) => {
    const a = await actor(req);
    return finish(req, reply, a, await mfa.verifySms(a.user, req.body.verification_id, req.body.code), 'sms');
  });

  app.post('/mfa/recovery-codes', { schema: schemas.recoveryCodesSchema, onRequest: [limit, guard] }, async (req) => {
    await mfa.requireRecent(req.auth!.claims.sid);
    return { recoveryCodes: await mfa.regenerateRecoveryCodes(req.auth!.user.id) };
  });

  app.delete<{ Params: { id: string } }>('/mfa/:id', { schema: schemas.removeSchema, onRequest: [limit, guard] }, async (req) => {
    await mfa.requireRecent(req.auth!.claims.sid);
    await mfa.remove(req.auth!.user.id, req.params.id);
    return { message: 'Factor removed' };
  });

  app.post<{ Body: { verification_id: string; code: string; method: Method } }>('/login/mfa', { schema: schemas.loginMfaSchema, onRequest: rateLimitHook(opts.limiter, 'login-mfa') }, async (req, reply) => {
    const done = await mfa.completeLogin(req.body.verification_id, req.body.method, req.body.code);
    const r = await opts.gate.complete({ user: done.user, method: firstFactorOf(done.amr), amr: done.amr, secondFactorDone: true }, sessionContext(req, done.client));
    return signedInBody(reply, done.client, r, opts.cookies);
  });

  app.post<{ Body: { verification_id: string; method: 'email' | 'sms' } }>('/login/mfa/send', { schema: schemas.loginMfaSendSchema, onRequest: rateLimitHook(opts.limiter, 'login-mfa') }, async (req) => {
    await mfa.resend(req.body.verification_id, req.body.method);
    return { message: 'Code sent' };
  });

  app.post<{ Body: { password?: string; method?: Method; code?: string; verification_id?: string } }>('/reauthenticate', { schema: schemas.reauthSchema, onRequest: [limit, guard] }, async (req) => {
    const { user, claims } = req.auth!;
    await mfa.reauthenticate(user, claims.sid, { password: req.body.password, method: req.body.method, code: req.body.code, verificationId: req.body.verification_id },
      async (hash, pw) => (await opts.passwords.verify(hash, pw)).ok);
    return { message: 'Identity confirmed' };
  });

  app.post<{ Body: { method: 'email' | 'sms' } }>('/reauthenticate/send', { schema: schemas.reauthSendSchema, onRequest: [limit, guard] }, async (req) => {
    const r = await mfa.reauthChallenge(req.auth!.user, req.body.method);
    return { verification_id: r.verificationId, expires_at: r.expiresAt.toISOString() };
  });
};
