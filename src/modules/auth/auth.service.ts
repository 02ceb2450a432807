// Sign-in, token refresh, the bearer check and sign-out: the core token API's rules.
// Each use case reads as its steps, in order.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../core/clock.ts';
import type { PasswordHasher } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database } from '../../database.ts';
import type { Notices } from '../account/index.ts';
import type { RateLimiter } from '../../core/http/index.ts';
import { sha256 } from '../../core/crypto/index.ts';
import { writeBatch } from '../../core/db/index.ts';
import type { Mailer } from '../mail/index.ts';
import type { MfaService } from '../mfa/index.ts';
import type { AuditBatchRecorder, AuditRecorder } from '../audit/index.ts';
import type { CustomClaims } from '../hooks/index.ts';
import type { Access } from '../rbac/index.ts';
import type { Captcha } from './captcha.ts';
import type { Lockout } from './lockout.ts';
import type { SessionContext, SessionsService } from '../sessions/index.ts';
import type { AccessClaims, TokensService } from '../tokens/index.ts';
import { normalizeEmail, normalizeUsername, toPublicUser, type PublicUser, type UserRow, type UsersService } from '../users/index.ts';

export interface AuthServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  users: UsersService;
  sessions: SessionsService;
  tokens: TokensService;
  passwords: PasswordHasher;
  log: FastifyBaseLogger;
  /** Log every decision at info (AUTH_DEBUG_MODE) instead of debug. */
  debugMode: boolean;
  /** Bearer tokens need a live session (AUTH_SESSION_CHECK). */
  sessionCheck: boolean;
  /** Password sign-in waits for a verified email (AUTH_EMAIL_VERIFICATION_REQUIRED). */
  requireVerifiedEmail: boolean;
  /** Queues the "new sign-in" notice in the sign-in transaction. */
  notices: Pick<Notices, 'newSignIn' | 'newSignInIn'>;
  /** Sends what the sign-in transaction queued. */
  mailer: Pick<Mailer, 'flush'>;
  /** Days after which a password must be changed at sign-in (0: never). */
  passwordMaxAgeDays: number;
  /** A token that only allows setting a new password (for `password_expired`). */
  issuePasswordChange: (user: UserRow) => Promise<{ token: string; expiresAt: Date }>;
  lockout: Lockout;
  /** Queues the "account locked" message. */
  notifyLocked: (user: UserRow, until: Date) => Promise<void>;
  /** Per-identifier sign-in limit (all attempts, from any address). */
  identifierLimit: RateLimiter;
  /** Bot check; needed at sign-in after `captchaAfter` failures for the identifier. */
  captcha?: Captcha | undefined;
  captchaAfter: number;
  lockoutDurationSeconds: number;
  /** Second factors: the challenge after a right password, or enrollment required by role. */
  mfa: Pick<MfaService, 'secondStep' | 'enrollmentToken' | 'loginChallenge'>;
  audit: AuditRecorder;
  /** The same, as a write of a batch (entries whose events need no read). */
  auditIn: AuditBatchRecorder;
  /** A user's roles and effective permissions, for the claims of their tokens. */
  access: (userId: string) => Promise<Access>;
  /** The same when it is cached and current; undefined otherwise (no read). */
  accessCached?: (userId: string) => Access | undefined;
  /** The custom-claims hook (AUTH_HOOK_CUSTOM_CLAIMS_URL); throws hook_failed when it fails closed. */
  customClaims?: CustomClaims | undefined;
}

export interface LoginInput {
  email?: string | undefined;
  username?: string | undefined;
  password: string;
  captchaToken?: string | undefined;
}

export interface SignedIn {
  accessToken: string;
  refreshToken: string;
  user: PublicUser;
}

export type Introspection =
  | { active: false }
  | { active: true; token_type: 'Bearer' | 'Refresh'; sub: string; sid: string; exp: number; iat: number; iss?: string; username: string; role: string; client_id?: string; aud?: string | string[] };

export interface Authenticated {
  claims: AccessClaims;
  user: UserRow;
}

export function createAuthService(deps: AuthServiceDeps) {
  const { db, clock, users, sessions, tokens, passwords, log, audit } = deps;

  /**
   * Writes an audit entry and its events as one statement (the entries of this module
   * need no read for their events): a refused sign-in costs one round trip whether or not
   * the account exists, and the entry and its event commit together.
   */
  async function record(entry: Parameters<AuditRecorder>[1]): Promise<void> {
    const batch = writeBatch();
    deps.auditIn(batch, entry);
    await batch.run(db);
  }

  /** Records an authentication decision; never passes secrets. */
  function decision(event: string, fields: Record<string, unknown>): void {
    if (deps.debugMode) log.info({ auth: event, ...fields }, `auth decision: ${event}`);
    else log.debug({ auth: event, ...fields }, `auth decision: ${event}`);
  }

  async function login(input: LoginInput, ctx: Omit<SessionContext, 'amr'>): Promise<SignedIn> {
    // 1. The identifier as typed (normalised) is limited from every address at once.
    const identifier = input.email !== undefined ? `email:${normalizeEmail(input.email)}` : `username:${normalizeUsername(input.username ?? '').toLowerCase()}`;
    await deps.identifierLimit.hit(`login-id:${sha256(identifier).toString('base64url')}`);
    // 2. Find the account by email or username.
    const user = input.email !== undefined ? await users.findByEmail(input.email) : await users.findByUsername(input.username ?? '');
    // 3. A locked identifier stops here, account or not (the same keys and work either way).
    const keys = deps.lockout.keysOf(identifier, user?.id ?? `none-${sha256(identifier).toString('base64url')}`);
    await deps.lockout.assertOpen(keys);
    // 4. After repeated failures, a bot check.
    if (deps.captcha && (await deps.lockout.failures(keys)).count >= deps.captchaAfter) await deps.captcha.verify(input.captchaToken, ctx.ip ?? undefined);
    // 5. Check the password; unknown users cost the same hash so timing tells nothing.
    const failed = async (reason: string) => {
      decision('login_failed', { reason, ...(user ? { userId: user.id } : {}), ip: ctx.ip });
      await record({ type: 'user.login_failed', subject: user?.id ?? null, success: false, reason, details: { method: 'password' } });
      if ((await deps.lockout.fail(keys)) && user) {
        log.warn({ auth: 'account_locked', userId: user.id }, 'sign-in locked after repeated failures');
        await record({ type: 'account.locked', subject: user.id, reason: 'repeated_failures', actor: { type: 'system' }, details: { durationSeconds: deps.lockoutDurationSeconds } });
        await deps.notifyLocked(user, new Date(clock.now() + deps.lockoutDurationSeconds * 1000));
      }
      return new AppError('invalid_credentials');
    };
    /** A refusal after the right password: recorded with its reason. */
    const refused = async (reason: string) => {
      decision('login_failed', { reason, userId: user!.id, ip: ctx.ip });
      await record({ type: 'user.login_failed', subject: user!.id, success: false, reason, details: { method: 'password' } });
    };
    if (!user?.password_hash) {
      await passwords.dummyVerify(input.password);
      throw await failed('unknown_user');
    }
    const check = await passwords.verify(user.password_hash, input.password);
    if (!check.ok) throw await failed('wrong_password');
    await deps.lockout.reset(keys);
    // 6. Disabled accounts stop here (only someone who knows the password learns this).
    if (!user.is_active) {
      await refused('account_disabled');
      throw new AppError('account_disabled');
    }
    // 7. An unverified address stops here when verification is required.
    if (deps.requireVerifiedEmail && !user.email_verified) {
      await refused('email_not_verified');
      throw new AppError('email_not_verified');
    }
    // 8. An expired password (or one an administrator asked to replace) must be replaced
    // before any session starts.
    const changedAt = (user.password_changed_at ?? user.created_at).getTime();
    if (user.password_reset_required || (deps.passwordMaxAgeDays > 0 && clock.now() - changedAt > deps.passwordMaxAgeDays * 86_400_000)) {
      await refused(user.password_reset_required ? 'password_reset_required' : 'password_expired');
      const change = await deps.issuePasswordChange(user);
      throw new AppError('password_expired', { details: { passwordChangeToken: change.token, expiresAt: change.expiresAt.toISOString() } });
    }
    // 9. A second factor, or its enrollment when the role requires one.
    await secondFactorGate(user, ctx.client, 'pwd', ctx.ip);
    // 10. Legacy or outdated hashes become argon2id with current parameters.
    const newHash = check.needsRehash ? await passwords.hash(input.password) : undefined;
    const signedIn = await signIn(user, { ...ctx, amr: ['pwd'] }, { newHash, notify: true });
    decision('login_succeeded', { userId: user.id, sessionId: signedIn.sessionId, client: ctx.client, rehashed: Boolean(newHash) });
    return signedIn;
  }

  /**
   * Stops a sign-in whose first factor is done when a second one is due: a role that
   * requires MFA without a factor gets an enrollment token; a user with factors gets a
   * challenge (the preferred code is sent). Passes when neither applies.
   */
  async function secondFactorGate(user: UserRow, client: string, firstAmr: string, ip: string | null): Promise<void> {
    const next = await deps.mfa.secondStep(user);
    if (next.kind === 'enroll') {
      decision('login_failed', { reason: 'mfa_enrollment_required', userId: user.id, ip });
      await record({ type: 'user.login_failed', subject: user.id, success: false, reason: 'mfa_enrollment_required', details: { method: firstAmr } });
      const e = await deps.mfa.enrollmentToken(user, client);
      throw new AppError('mfa_enrollment_required', { fields: { enrollment_token: e.token, expires_at: e.expiresAt.toISOString() } });
    }
    if (next.kind === 'challenge') {
      const challenge = await deps.mfa.loginChallenge(user, client, firstAmr, next.methods);
      decision('login_mfa_required', { userId: user.id, methods: challenge.methods, ip });
      await record({ type: 'mfa.challenge_issued', subject: user.id, details: { methods: challenge.methods, firstFactor: firstAmr } });
      throw new AppError('mfa_required', { fields: { verification_id: challenge.verificationId, expires_at: challenge.expiresAt.toISOString(), methods: challenge.methods } });
    }
  }

  /** The claims of a user's access token, completed by the custom-claims hook when there is one. */
  async function accessClaims(user: UserRow, sessionId: string, amr: string[], trigger: 'sign_in' | 'refresh'): Promise<AccessClaims> {
    const claims = tokens.accessClaims(user, sessionId, amr, await deps.access(user.id));
    return deps.customClaims ? deps.customClaims(claims, { user, trigger }) : claims;
  }

  /**
   * Opens a session for a user who has proven who they are (password, magic link, email
   * code, passkey, second factor): the token's claims first, then session, first refresh
   * token and last_login in one transaction, then the signed access token.
   */
  async function signIn(user: UserRow, ctx: SessionContext, opts: { newHash?: string | undefined; notify?: boolean } = {}): Promise<SignedIn & { sessionId: string }> {
    const now = new Date(clock.now());
    // 1. The claims, with the session's id chosen beforehand: a custom-claims hook that
    // fails closed stops the sign-in before any session, notice or eviction exists.
    const sessionId = randomUUID();
    let claims: AccessClaims;
    try {
      claims = await accessClaims(user, sessionId, ctx.amr, 'sign_in');
    } catch (err) {
      if (err instanceof AppError && err.code === 'hook_failed') {
        decision('login_failed', { reason: 'hook_failed', userId: user.id, ip: ctx.ip });
        await record({ type: 'user.login_failed', subject: user.id, success: false, reason: 'hook_failed', details: { method: ctx.amr[0] ?? null, amr: ctx.amr } });
      }
      throw err;
    }
    // 2. The session, its first refresh token and the sign-in's records, together: as one
    // statement when nothing has to be decided between them, else in a transaction.
    const quick = await signInWrites(user, ctx, sessionId, now, opts);
    if (quick) return { accessToken: await signedAccessToken(claims), refreshToken: quick.refreshToken, user: toPublicUser(user), sessionId };
    const { session, refreshToken, evicted, noticed } = await db.transaction().execute(async (trx) => {
      const started = await sessions.start(trx, user.id, ctx, sessionId);
      await users.recordLogin(trx, user.id, now, opts.newHash);
      const noticed = opts.notify ? await deps.notices.newSignIn(trx, user, started.session) : false;
      await audit(trx, { type: 'user.login_succeeded', subject: user.id, actor: { type: 'user', id: user.id }, details: { sessionId: started.session.id, client: ctx.client, amr: ctx.amr } });
      if (started.evicted.length) await audit(trx, { type: 'session.evicted', subject: user.id, actor: { type: 'system' }, details: { sessionIds: started.evicted, limit: 'AUTH_MAX_ACTIVE_SESSIONS' } });
      return { ...started, noticed };
    });
    if (noticed) deps.mailer.flush();
    // last_login (and maybe the hash) changed: every instance re-reads this user.
    await users.changed(user.id);
    if (evicted.length) {
      await sessions.announce(evicted);
      log.info({ auth: 'session_evicted', userId: user.id, sessionIds: evicted }, 'active-session limit reached: least recently used sessions revoked');
    }
    return { accessToken: await signedAccessToken(claims), refreshToken, user: toPublicUser(user), sessionId: session.id };
  }

  const signedAccessToken = async (claims: AccessClaims) => tokens.signAccessClaimsNow(claims) ?? (await tokens.signAccessClaims(claims)).accessToken;

  /**
   * signIn's writes as one batch (one statement, one round trip): the session, last_login
   * and its announcement, the notice, the audit entry and its event. undefined when the
   * session must be started in a transaction (an active-session limit decides evictions).
   */
  async function signInWrites(user: UserRow, ctx: SessionContext, sessionId: string, now: Date, opts: { newHash?: string | undefined; notify?: boolean }): Promise<{ refreshToken: string } | undefined> {
    const batch = writeBatch();
    const started = sessions.startIn(batch, user.id, ctx, sessionId);
    if (!started) return undefined;
    users.recordLoginIn(batch, user.id, now, opts.newHash);
    const noticed = opts.notify ? await deps.notices.newSignInIn(batch, user, started.session) : false;
    deps.auditIn(batch, { type: 'user.login_succeeded', subject: user.id, actor: { type: 'user', id: user.id }, details: { sessionId, client: ctx.client, amr: ctx.amr } });
    await batch.run(db);
    if (noticed) deps.mailer.flush();
    return { refreshToken: started.refreshToken };
  }

  /**
   * With a custom-claims hook, the claims of a live, unspent refresh token's next access
   * token, asked before the token is spent: a hook that fails closed then leaves the
   * client a refresh token it can present again, instead of one that reuse detection
   * would soon treat as stolen.
   */
  async function claimsBeforeRotation(refreshToken: string): Promise<{ sessionId: string; claims: AccessClaims } | undefined> {
    if (!deps.customClaims) return undefined;
    const s = await sessions.sessionOfRefreshToken(refreshToken);
    if (!s || s.spent) return undefined;
    const user = await users.findById(s.userId);
    if (!user?.is_active) return undefined;
    return { sessionId: s.sessionId, claims: await accessClaims(user, s.sessionId, s.amr, 'refresh') };
  }

  async function refresh(refreshToken: string): Promise<{ accessToken: string; refreshToken: string }> {
    // 1. The hook's claims, before the token is spent (only with a custom-claims hook).
    const early = deps.customClaims ? await claimsBeforeRotation(refreshToken) : undefined;
    // 2. Spend the token (or detect its reuse) and mint its successor.
    const result = await sessions.rotate(refreshToken);
    if (result.kind === 'reused') {
      log.warn({ auth: 'refresh_token_reused', userId: result.userId, sessionId: result.sessionId }, 'refresh token reuse detected: session revoked');
      await record({ type: 'session.refresh_reused', subject: result.userId, success: false, reason: 'refresh_token_reused', actor: { type: 'anonymous' }, details: { sessionId: result.sessionId } });
      throw new AppError('refresh_token_reused');
    }
    // The cached row is current on every instance: each change to a user is announced.
    const user = users.peekCached(result.userId) ?? (await users.findByIdCached(result.userId));
    if (!user?.is_active) {
      await sessions.revoke(result.sessionId, 'account_disabled');
      throw new AppError('invalid_refresh_token');
    }
    // 3. The access token: with the early claims, or (a spent token within its grace, or
    // no hook) claims made now.
    // Without a hook, from the cached roles when they are current (no promise).
    const cached = !deps.customClaims ? deps.accessCached?.(user.id) : undefined;
    const claims = early?.sessionId === result.sessionId ? early.claims
      : cached ? tokens.accessClaims(user, result.sessionId, result.amr, cached) : await accessClaims(user, result.sessionId, result.amr, 'refresh');
    decision('refresh_succeeded', { userId: user.id, sessionId: result.sessionId, graced: result.graced });
    return { accessToken: tokens.signAccessClaimsNow(claims) ?? (await tokens.signAccessClaims(claims)).accessToken, refreshToken: result.refreshToken };
  }

  /** The bearer check: signature and expiry, then a live session and an active user. */
  async function authenticate(accessToken: string): Promise<Authenticated> {
    const claims = await tokens.verifyAccessToken(accessToken);
    // Independent lookups; both usually come from this instance's caches.
    const [active, user] = await Promise.all([deps.sessionCheck ? sessions.isActive(claims.sid, claims.sub) : true, users.findByIdCached(claims.sub)]);
    if (!active || !user) throw new AppError('session_revoked');
    if (!user.is_active) throw new AppError('account_disabled');
    return { claims, user };
  }

  /**
   * authenticate without a promise, when everything it reads is already in this instance's
   * caches and says yes: the token verified before, a live session touched within the
   * minute, an active user. undefined sends the caller to authenticate, which decides the
   * rest and gives every refusal its code.
   */
  function authenticateCached(accessToken: string): Authenticated | undefined {
    const claims = tokens.verifiedAccessClaims(accessToken);
    if (!claims) return undefined;
    if (deps.sessionCheck && sessions.isActiveCached(claims.sid, claims.sub) !== true) return undefined;
    const user = users.peekCached(claims.sub);
    return user?.is_active ? { claims, user } : undefined;
  }

  /** Signs the user out everywhere, identified by an access token or a refresh token. */
  async function logout(creds: { accessToken?: string | undefined; refreshToken?: string | undefined }): Promise<void> {
    let userId: string | undefined;
    let failure: AppError | undefined;
    if (creds.accessToken) {
      try {
        userId = (await authenticate(creds.accessToken)).user.id;
      } catch (err) {
        failure = err as AppError;
      }
    }
    if (!userId && creds.refreshToken) userId = (await sessions.sessionOfRefreshToken(creds.refreshToken))?.userId;
    if (!userId) throw failure ?? new AppError(creds.refreshToken ? 'invalid_refresh_token' : 'unauthorized');
    const revoked = await sessions.revokeAllForUser(userId, 'logout');
    await record({ type: 'user.logout', subject: userId, actor: { type: 'user', id: userId }, details: { sessionsRevoked: revoked } });
    decision('logout', { userId, sessionsRevoked: revoked });
  }

  /**
   * RFC 7662 introspection of an access token (JWT) or a refresh token. Anything not
   * currently usable is simply `{active: false}`: the caller learns nothing else.
   */
  async function introspect(token: string): Promise<Introspection> {
    // Access tokens are JWTs and refresh tokens never contain a dot, so the shape decides
    // (RFC 7662 lets the server ignore token_type_hint).
    if (token.split('.').length === 3) {
      try {
        const { claims, user } = await authenticate(token);
        return {
          active: true, token_type: 'Bearer', sub: claims.sub, sid: claims.sid, exp: claims.exp, iat: claims.iat, iss: claims.iss,
          username: user.username, role: user.role, ...(claims.aud !== undefined ? { aud: claims.aud } : {}),
        };
      } catch (err) {
        if (err instanceof AppError) return { active: false };
        throw err;
      }
    }
    const s = await sessions.sessionOfRefreshToken(token);
    const user = s && !s.spent ? await users.findById(s.userId) : undefined;
    if (!s || !user?.is_active) return { active: false };
    return {
      active: true, token_type: 'Refresh', sub: s.userId, sid: s.sessionId, client_id: s.client, username: user.username, role: user.role,
      exp: Math.floor(s.expiresAt.getTime() / 1000), iat: Math.floor(s.issuedAt.getTime() / 1000),
    };
  }

  /** Lifts a sign-in lock of a user (both identifiers); an admin action. */
  async function unlock(user: UserRow): Promise<void> {
    await deps.lockout.reset([
      ...deps.lockout.keysOf(`email:${normalizeEmail(user.email)}`, user.id),
      ...deps.lockout.keysOf(`username:${normalizeUsername(user.username).toLowerCase()}`),
    ]);
  }

  return { login, signIn, secondFactorGate, refresh, authenticate, authenticateCached, logout, introspect, unlock };
}

export type AuthService = ReturnType<typeof createAuthService>;
