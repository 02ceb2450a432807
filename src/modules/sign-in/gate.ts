// The one gate that issues sessions. Every way in (password, magic link, email code,
// passkey, OAuth, a completed second factor, a required enrollment, the replacement of an
// expired password) ends in `complete`, which decides in named steps what the session
// still needs and only then starts it. Nothing else in the code base starts a session or
// signs a user's access token (test/architecture.test.ts enforces it).
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../core/clock.ts';
import { readBatch, writeBatch, type ReadBatch, type WriteBatch } from '../../core/db/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Lockout } from '../../core/limits/index.ts';
import type { Database } from '../../database.ts';
import type { AuditBatchRecorder, AuditRecorder } from '../audit/index.ts';
import type { CustomClaims } from '../hooks/index.ts';
import type { Mailer } from '../mail/index.ts';
import type { Access } from '../rbac/index.ts';
import type { NewSessionRow, SessionContext, SessionRow, SessionsService } from '../sessions/index.ts';
import type { Db } from '../../database.ts';
import type { AccessClaims, TokenOrganization, TokensService } from '../tokens/index.ts';
import { normalizeEmail, normalizeUsername, toPublicUser, type PublicUser, type UserRow, type UsersService } from '../users/index.ts';

/** How a sign-in flow began (its first factor). */
export type FirstFactor = 'password' | 'magic_link' | 'email_code' | 'passkey' | 'oauth';

/** What a flow has proven when it reaches the gate. */
export interface Proof {
  user: UserRow;
  method: FirstFactor;
  /** RFC 8176 values proven so far in this flow (`pwd`, `otp`, `hwk`, `oauth`, ...). */
  amr: string[];
  /** A second factor was answered in this flow (or the first one counts as two). */
  secondFactorDone?: boolean;
  /** This flow has just replaced the expired (or administrator-rejected) password. */
  passwordReplaced?: boolean;
  /** A legacy or outdated hash of the password just checked, to store instead. */
  newHash?: string | undefined;
  /** Send the "new sign-in" notice when the device is new. */
  notify?: boolean;
}

export interface SignedIn {
  accessToken: string;
  refreshToken: string;
  user: PublicUser;
  sessionId: string;
}

/**
 * What the gate asks of second factors (the MFA module provides it): the step a user
 * needs after a first factor, an enrollment token, and a challenge carrying the flow.
 */
export interface SecondFactors {
  /** Adds what the second step reads to a read batch; the function returned answers after its run. */
  secondStepRead(reads: ReadBatch, user: UserRow): () => Promise<{ kind: 'none' } | { kind: 'enroll' } | { kind: 'challenge'; methods: string[] }>;
  enrollmentToken(user: UserRow, client: string, amr: string[]): Promise<{ token: string; expiresAt: Date }>;
  loginChallenge(user: UserRow, client: string, amr: string[], methods: never[]): Promise<{ verificationId: string; expiresAt: Date; methods: string[] }>;
}

/** The "new sign-in" notice, queued with the session (the account module provides it). */
type StartedSession = Pick<SessionRow, 'id' | 'user_id' | 'browser' | 'os' | 'ip' | 'created_at'> & { location: unknown };
export interface SignInNotices {
  newSignIn(trx: Db, user: UserRow, session: StartedSession): Promise<boolean>;
  newSignInBatched(batch: WriteBatch, user: UserRow, session: NewSessionRow): Promise<boolean>;
}

export interface SignInGateDeps {
  db: Kysely<Database>;
  clock: Clock;
  users: UsersService;
  sessions: SessionsService;
  tokens: TokensService;
  log: FastifyBaseLogger;
  debugMode: boolean;
  /** Sign-in waits for a verified email (AUTH_EMAIL_VERIFICATION_REQUIRED). */
  requireVerifiedEmail: boolean;
  /** Days after which a password must be changed at sign-in (0: never). */
  passwordMaxAgeDays: number;
  /** A token that only allows setting a new password, carrying what the flow proved. */
  issuePasswordChange: (user: UserRow, amr: string[]) => Promise<{ token: string; expiresAt: Date }>;
  notices: SignInNotices;
  mailer: Pick<Mailer, 'flush'>;
  lockout: Lockout;
  mfa: SecondFactors;
  audit: AuditRecorder;
  auditBatched: AuditBatchRecorder;
  access: (userId: string) => Promise<Access>;
  /** access for a user whose row is at hand, as a part of a read batch. */
  accessRead: (reads: ReadBatch, user: UserRow) => () => Promise<Access>;
  accessCached?: (userId: string) => Access | undefined;
  customClaims?: CustomClaims | undefined;
  /** The active organization of sessions (the organizations module provides it). */
  organizations?: SignInOrganizations | undefined;
}

/** What the gate asks of organizations: a member's claims, a session's active one, and its switch. */
export interface SignInOrganizations {
  /** A member's claims in an organization (id or slug); organization_not_found otherwise. */
  claimsFor(userId: string, idOrSlug: string): Promise<TokenOrganization>;
  /** The session's active organization while the user is still a member of it. */
  activeClaims(userId: string, sessionId: string): Promise<TokenOrganization | null>;
  /** True only when this instance knows the user belongs to no organization (no promise). */
  noneCached(userId: string): boolean;
  setActive(userId: string, sessionId: string, organizationId: string | null): Promise<void>;
}

/** A sign-in's context, with the organization it asks to start in (`organization` on login). */
export type GateContext = Omit<SessionContext, 'amr' | 'organizationId'> & { organization?: string | undefined };

/** The first factor of a flow, from the amr values it carried (a challenge remembers those). */
export const firstFactorOf = (amr: string[]): FirstFactor => amr.includes('pwd') ? 'password' : amr.includes('oauth') ? 'oauth' : amr.includes('hwk') ? 'passkey' : 'magic_link';

/** Whether the methods proven are two distinct factors. */
export const isMultiFactor = (amr: string[]) => new Set(amr.filter((m) => m !== 'mfa')).size >= 2;

export function createSignInGate(deps: SignInGateDeps) {
  const { db, clock, users, sessions, tokens, log } = deps;

  async function record(entry: Parameters<AuditRecorder>[1]): Promise<void> {
    const batch = writeBatch();
    deps.auditBatched(batch, entry);
    await batch.run(db);
  }

  /** Records an entry as writes of the caller's batch. */
  const recordBatched = (batch: WriteBatch, entry: Parameters<AuditRecorder>[1]): void => deps.auditBatched(batch, entry);

  function decision(event: string, fields: Record<string, unknown>): void {
    if (deps.debugMode) log.info({ auth: event, ...fields }, `auth decision: ${event}`);
    else log.debug({ auth: event, ...fields }, `auth decision: ${event}`);
  }

  /** A refusal after the first factor: recorded with its reason. */
  async function refused(proof: Proof, ctx: Omit<SessionContext, 'amr'>, reason: string): Promise<void> {
    decision('login_failed', { reason, userId: proof.user.id, ip: ctx.ip });
    await record({ type: 'user.login_failed', subject: proof.user.id, success: false, reason, details: { method: proof.method, amr: proof.amr } });
  }

  // ---- the steps, in the order `complete` takes them ----------------------------------

  /** 1. A disabled account gets no session, whatever it proved. */
  async function assertActive(proof: Proof, ctx: Omit<SessionContext, 'amr'>): Promise<void> {
    if (proof.user.is_active) return;
    await refused(proof, ctx, 'account_disabled');
    throw new AppError('account_disabled');
  }

  /** 2. An unverified address waits for its proof when verification is required. */
  async function assertVerifiedAddress(proof: Proof, ctx: Omit<SessionContext, 'amr'>): Promise<void> {
    // An account without an address (AUTH_EMAIL_REQUIRED=false) has none to verify.
    if (!deps.requireVerifiedEmail || proof.user.email_verified || proof.user.email === null) return;
    await refused(proof, ctx, 'email_not_verified');
    throw new AppError('email_not_verified');
  }

  /**
   * 3. A second factor: a role that requires one without a factor gets an enrollment
   * token; a user with factors gets a challenge. Each carries what the flow proved, so the
   * flow comes back here with it.
   */
  async function requireSecondFactor(proof: Proof, ctx: Omit<SessionContext, 'amr'>, secondStep: ReturnType<SecondFactors['secondStepRead']> | undefined): Promise<void> {
    if (!secondStep) return;
    const next = await secondStep();
    if (next.kind === 'enroll') {
      await refused(proof, ctx, 'mfa_enrollment_required');
      const e = await deps.mfa.enrollmentToken(proof.user, ctx.client, proof.amr);
      throw new AppError('mfa_enrollment_required', { fields: { enrollment_token: e.token, expires_at: e.expiresAt.toISOString() } });
    }
    if (next.kind === 'challenge') {
      const challenge = await deps.mfa.loginChallenge(proof.user, ctx.client, proof.amr, next.methods as never[]);
      decision('login_mfa_required', { userId: proof.user.id, methods: challenge.methods, ip: ctx.ip });
      await record({ type: 'mfa.challenge_issued', subject: proof.user.id, details: { methods: challenge.methods, firstFactor: proof.amr[0] ?? null } });
      throw new AppError('mfa_required', { fields: { verification_id: challenge.verificationId, expires_at: challenge.expiresAt.toISOString(), methods: challenge.methods } });
    }
  }

  /**
   * 4. A password that expired (or that an administrator asked to replace) is replaced
   * before a session starts, and only after the second factor: the change token carries
   * what the flow proved, and the replacement comes back here. Applies when the flow used
   * the password; other first factors did not rely on it.
   */
  async function requirePasswordChange(proof: Proof, ctx: Omit<SessionContext, 'amr'>): Promise<void> {
    if (proof.passwordReplaced || !proof.amr.includes('pwd')) return;
    const user = proof.user;
    const changedAt = (user.password_changed_at ?? user.created_at).getTime();
    const expired = deps.passwordMaxAgeDays > 0 && clock.now() - changedAt > deps.passwordMaxAgeDays * 86_400_000;
    if (!user.password_reset_required && !expired) return;
    await refused(proof, ctx, user.password_reset_required ? 'password_reset_required' : 'password_expired');
    const change = await deps.issuePasswordChange(user, proof.amr);
    throw new AppError('password_expired', { details: { passwordChangeToken: change.token, expiresAt: change.expiresAt.toISOString() } });
  }

  /**
   * 5. The organization a sign-in asked to start in (`organization`): only one the user
   * is a member of; anyone else is refused as if it did not exist.
   */
  async function chosenOrganization(proof: Proof, ctx: Omit<SessionContext, 'amr'>, requested: string | undefined): Promise<TokenOrganization | null> {
    if (requested === undefined) return null;
    if (!deps.organizations) throw new AppError('organization_not_found');
    try {
      return await deps.organizations.claimsFor(proof.user.id, requested);
    } catch (err) {
      if (err instanceof AppError) await refused(proof, ctx, err.code);
      throw err;
    }
  }

  /** 6. The session: claims first (a hook that fails closed stops it), then the writes. */
  async function startSession(proof: Proof, ctx: SessionContext, org: TokenOrganization | null, access: () => Promise<Access>): Promise<SignedIn> {
    const { user } = proof;
    const now = new Date(clock.now());
    const sessionId = randomUUID();
    let claims: AccessClaims;
    try {
      claims = await accessClaims(user, sessionId, ctx.amr, 'sign_in', org, access);
    } catch (err) {
      if (err instanceof AppError && err.code === 'hook_failed') await refused(proof, ctx, 'hook_failed');
      throw err;
    }
    const quick = await startWrites(user, ctx, sessionId, now, proof);
    if (quick) return { accessToken: await sign(claims), refreshToken: quick.refreshToken, user: toPublicUser(user), sessionId };
    const { refreshToken, evicted, noticed } = await db.transaction().execute(async (trx) => {
      const started = await sessions.start(trx, user.id, ctx, sessionId);
      await users.recordLogin(trx, user.id, now, proof.newHash);
      const noticed = proof.notify ? await deps.notices.newSignIn(trx, user, started.session) : false;
      await deps.audit(trx, { type: 'user.login_succeeded', subject: user.id, actor: { type: 'user', id: user.id }, details: { sessionId, client: ctx.client, amr: ctx.amr } });
      if (started.evicted.length) await deps.audit(trx, { type: 'session.evicted', subject: user.id, actor: { type: 'system' }, details: { sessionIds: started.evicted, limit: 'AUTH_MAX_ACTIVE_SESSIONS' } });
      return { ...started, noticed };
    });
    if (noticed) deps.mailer.flush();
    await users.changed(user.id);
    if (evicted.length) {
      await sessions.announce(evicted);
      log.info({ auth: 'session_evicted', userId: user.id, sessionIds: evicted }, 'active-session limit reached: least recently used sessions revoked');
    }
    return { accessToken: await sign(claims), refreshToken, user: toPublicUser(user), sessionId };
  }

  /** The writes of a session as one statement, when no active-session limit must decide evictions. */
  async function startWrites(user: UserRow, ctx: SessionContext, sessionId: string, now: Date, proof: Proof): Promise<{ refreshToken: string } | undefined> {
    const batch = writeBatch();
    const started = sessions.startBatched(batch, user.id, ctx, sessionId);
    if (!started) return undefined;
    users.recordLoginBatched(batch, user.id, now, proof.newHash);
    const noticed = proof.notify ? await deps.notices.newSignInBatched(batch, user, started.session) : false;
    deps.auditBatched(batch, { type: 'user.login_succeeded', subject: user.id, actor: { type: 'user', id: user.id }, details: { sessionId, client: ctx.client, amr: ctx.amr } });
    await batch.run(db);
    if (noticed) deps.mailer.flush();
    return { refreshToken: started.refreshToken };
  }

  /** Clears the account's failures (both identifiers and the account) once a sign-in completed. */
  async function clearFailures(user: UserRow): Promise<void> {
    // An account without an address has only its username (and the account's own key).
    await deps.lockout.reset([
      ...deps.lockout.keysOf(`username:${normalizeUsername(user.username).toLowerCase()}`, user.id),
      ...(user.email !== null ? deps.lockout.keysOf(`email:${normalizeEmail(user.email)}`) : []),
    ]);
  }

  /**
   * The gate: what a flow proved goes through the steps; the first that is not satisfied
   * answers (with the token or challenge that lets the flow continue); when none is left,
   * the session starts with the assurance the flow actually reached.
   */
  async function complete(proof: Proof, given: GateContext): Promise<SignedIn> {
    const { organization: requested, ...ctx } = given;
    await assertActive(proof, ctx);
    await assertVerifiedAddress(proof, ctx);
    // What the next steps and the token need to know of the user, read in one round trip.
    const reads = readBatch();
    const secondStep = proof.secondFactorDone || isMultiFactor(proof.amr) ? undefined : deps.mfa.secondStepRead(reads, proof.user);
    const access = deps.accessRead(reads, proof.user);
    await reads.run(db);
    await requireSecondFactor(proof, ctx, secondStep);
    await requirePasswordChange(proof, ctx);
    const org = await chosenOrganization(proof, ctx, requested);
    const amr = proof.amr;
    const signedIn = await startSession(proof, { ...ctx, amr, organizationId: org?.id ?? null }, org, access);
    await clearFailures(proof.user);
    decision('login_succeeded', { userId: proof.user.id, sessionId: signedIn.sessionId, client: ctx.client, method: proof.method, amr, rehashed: Boolean(proof.newHash) });
    return signedIn;
  }

  /** The claims of a user's access token, completed by the custom-claims hook when there is one. */
  async function accessClaims(user: UserRow, sessionId: string, amr: string[], trigger: 'sign_in' | 'refresh', org?: TokenOrganization | null, access?: () => Promise<Access>): Promise<AccessClaims> {
    // A session's active organization is read again for each token: a member removed
    // meanwhile gets a token without it.
    const active = org !== undefined ? org : deps.organizations && !deps.organizations.noneCached(user.id) ? await deps.organizations.activeClaims(user.id, sessionId) : null;
    const claims = tokens.accessClaims(user, sessionId, amr, await (access ? access() : deps.access(user.id)), active);
    return deps.customClaims ? deps.customClaims(claims, { user, trigger }) : claims;
  }

  /** Claims from the cached roles when they are current and no hook runs (no promise); undefined otherwise. */
  function accessClaimsCached(user: UserRow, sessionId: string, amr: string[]): AccessClaims | undefined {
    const cached = !deps.customClaims && (!deps.organizations || deps.organizations.noneCached(user.id)) ? deps.accessCached?.(user.id) : undefined;
    return cached ? tokens.accessClaims(user, sessionId, amr, cached) : undefined;
  }

  /** Signs a user's access token: synchronously when the key allows it. */
  function signNow(claims: AccessClaims): string | undefined {
    return tokens.signAccessClaimsNow(claims);
  }
  async function sign(claims: AccessClaims): Promise<string> {
    return tokens.signAccessClaimsNow(claims) ?? (await tokens.signAccessClaims(claims)).accessToken;
  }

  /**
   * A grant to an OpenID Connect client (its authorization code exchanged): a session of
   * the client's own, started from the browser session the user signed in to through
   * `complete`, with the methods that session proved. The access token names the client
   * and the granted scopes; `record` writes the grant and its audit entry in the session's
   * transaction. A disabled account gets nothing.
   */
  async function startGrant(user: UserRow, ctx: SessionContext, sessionId: string, grant: { clientId: string; scope: string; record: (trx: Db) => Promise<void> }): Promise<{ accessToken: string; refreshToken: string; expiresAt: number }> {
    if (!user.is_active) throw new AppError('account_disabled');
    const claims = { ...(await accessClaims(user, sessionId, ctx.amr, 'sign_in')), client_id: grant.clientId, scope: grant.scope };
    const { refreshToken, evicted } = await db.transaction().execute(async (trx) => {
      const started = await sessions.start(trx, user.id, ctx, sessionId);
      await grant.record(trx);
      return started;
    });
    if (evicted.length) await sessions.announce(evicted);
    decision('grant_started', { userId: user.id, sessionId, client: ctx.client });
    return { accessToken: await sign(claims), refreshToken, expiresAt: claims.exp };
  }

  /** Signs an OpenID Connect ID token or logout token (claims made by the OIDC module). */
  const signIdToken = (claims: Record<string, unknown>) => tokens.signIdToken(claims);

  /**
   * Switches the active organization of a signed-in session (null: none) and issues the
   * access token that carries it; the refresh token goes on, and its next tokens carry
   * the same organization. Only an organization the user is a member of.
   */
  async function switchOrganization(user: UserRow, sessionId: string, amr: string[], idOrSlug: string | null): Promise<{ accessToken: string; expiresAt: number; organization: TokenOrganization | null }> {
    if (!deps.organizations) throw new AppError('organization_not_found');
    if (!user.is_active) throw new AppError('account_disabled');
    const org = idOrSlug === null ? null : await deps.organizations.claimsFor(user.id, idOrSlug);
    const claims = await accessClaims(user, sessionId, amr, 'refresh', org);
    await deps.organizations.setActive(user.id, sessionId, org?.id ?? null);
    decision('organization_switched', { userId: user.id, sessionId, organizationId: org?.id ?? null });
    return { accessToken: await sign(claims), expiresAt: claims.exp, organization: org };
  }

  return { switchOrganization, complete, accessClaims, accessClaimsCached, signNow, sign, record, recordBatched, decision, startGrant, signIdToken };
}

export type SignInGate = ReturnType<typeof createSignInGate>;
