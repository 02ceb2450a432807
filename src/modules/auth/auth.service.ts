// The core token API's rules after sign-in: token refresh, the bearer check, sign-out
// and introspection. Sessions start only in the sign-in module's gate; refresh renews the
// access token of a session that already exists. Each use case reads as its steps.
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import { AppError } from '../../core/errors/index.ts';
import type { Lockout } from '../../core/limits/index.ts';
import type { Database } from '../../database.ts';
import type { SignInGate } from '../sign-in/index.ts';
import type { SessionsService } from '../sessions/index.ts';
import type { AccessClaims, TokensService } from '../tokens/index.ts';
import { normalizeEmail, normalizeUsername, type UserRow, type UsersService } from '../users/index.ts';

export interface AuthServiceDeps {
  db: Kysely<Database>;
  users: UsersService;
  sessions: SessionsService;
  tokens: TokensService;
  log: FastifyBaseLogger;
  /** Bearer tokens need a live session (AUTH_SESSION_CHECK). */
  sessionCheck: boolean;
  lockout: Lockout;
  /** Claims and signatures of access tokens, and the decision log (the sign-in module's). */
  gate: Pick<SignInGate, 'accessClaims' | 'accessClaimsCached' | 'sign' | 'signNow' | 'record' | 'recordBatched' | 'decision'>;
  /** A custom-claims hook is configured (claims are then asked before a token is spent). */
  hasClaimsHook: boolean;
}

export type Introspection =
  | { active: false }
  | { active: true; token_type: 'Bearer' | 'Refresh'; sub: string; sid: string; exp: number; iat: number; iss?: string; username: string; role: string; client_id?: string; scope?: string; aud?: string | string[] };

export interface Authenticated {
  claims: AccessClaims;
  user: UserRow;
}

/** Which sessions a sign-out ends (Supabase Auth's `scope`). */
export type LogoutScope = 'global' | 'local' | 'others';

export function createAuthService(deps: AuthServiceDeps) {
  const { sessions, tokens, users, log, gate } = deps;
  const { record, decision, accessClaims } = gate;

  /**
   * With a custom-claims hook, the claims of a live, unspent refresh token's next access
   * token, asked before the token is spent: a hook that fails closed then leaves the
   * client a refresh token it can present again, instead of one that reuse detection
   * would soon treat as stolen.
   */
  async function claimsBeforeRotation(refreshToken: string): Promise<{ sessionId: string; claims: AccessClaims } | undefined> {
    if (!deps.hasClaimsHook) return undefined;
    const s = await sessions.sessionOfRefreshToken(refreshToken);
    if (!s || s.spent) return undefined;
    const user = await users.findById(s.userId);
    if (!user?.is_active) return undefined;
    return { sessionId: s.sessionId, claims: await accessClaims(user, s.sessionId, s.amr, 'refresh') };
  }

  async function refresh(refreshToken: string): Promise<{ accessToken: string; refreshToken: string }> {
    // 1. The hook's claims, before the token is spent (only with a custom-claims hook).
    const early = deps.hasClaimsHook ? await claimsBeforeRotation(refreshToken) : undefined;
    // 2. Spend the token (or detect its reuse) and mint its successor.
    const result = await sessions.rotate(refreshToken);
    if (result.kind === 'reused') {
      log.warn({ auth: 'refresh_token_reused', userId: result.userId, sessionId: result.sessionId }, 'refresh token reuse detected: session revoked');
      await record({ type: 'session.refresh_reused', subject: result.userId, success: false, reason: 'refresh_token_reused', actor: { type: 'anonymous' }, details: { sessionId: result.sessionId } });
      throw new AppError('refresh_token_reused');
    }
    // An OpenID Connect grant's token is its client's, presented with the client's
    // authentication at /oauth2/token only: presented here, it ends the grant.
    if (result.client.startsWith('oidc:')) {
      await sessions.revoke(result.sessionId, 'refresh_token_misused');
      throw new AppError('invalid_refresh_token');
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
    const claims = early?.sessionId === result.sessionId ? early.claims
      : gate.accessClaimsCached(user, result.sessionId, result.amr) ?? await accessClaims(user, result.sessionId, result.amr, 'refresh');
    decision('refresh_succeeded', { userId: user.id, sessionId: result.sessionId, graced: result.graced });
    return { accessToken: gate.signNow(claims) ?? (await gate.sign(claims)), refreshToken: result.refreshToken };
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
   * A token an application obtained through Tessera's OpenID provider (it names its
   * `client_id`) speaks for the user to that application's own APIs and to userinfo, never
   * to Tessera's account, session, MFA or admin routes.
   */
  const delegated = (claims: object) => typeof (claims as { client_id?: unknown }).client_id === 'string';
  const notForThisApi = () => new AppError('invalid_token', {
    message: 'This token was issued to an application; it is not accepted here',
    headers: { 'www-authenticate': 'Bearer error="invalid_token", error_description="token issued to an application"' },
  });

  /** authenticate for Tessera's own API: a token issued to an application is refused. */
  async function authenticateFirstParty(accessToken: string): Promise<Authenticated> {
    const a = await authenticate(accessToken);
    if (delegated(a.claims)) throw notForThisApi();
    return a;
  }

  /** authenticateCached for Tessera's own API (undefined sends the caller to the refusal). */
  function authenticateFirstPartyCached(accessToken: string): Authenticated | undefined {
    const a = authenticateCached(accessToken);
    return a && !delegated(a.claims) ? a : undefined;
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

  /**
   * Signs out, identified by an access token or a refresh token: every session of the user
   * (`global`, the default), only the one presented (`local`), or all but it (`others`).
   * A spent or unknown refresh token ends nothing and gets the unknown token's answer: a
   * stolen token two rotations old must not be a way to sign its owner out everywhere (it
   * stays subject to reuse detection on /auth/refresh).
   */
  async function logout(creds: { accessToken?: string | undefined; refreshToken?: string | undefined }, scope: LogoutScope = 'global'): Promise<void> {
    let who: { userId: string; sessionId: string } | undefined;
    let failure: AppError | undefined;
    if (creds.accessToken) {
      try {
        const { claims } = await authenticate(creds.accessToken);
        who = { userId: claims.sub, sessionId: claims.sid };
      } catch (err) {
        failure = err as AppError;
      }
    }
    if (!who && creds.refreshToken) {
      const s = await sessions.sessionOfRefreshToken(creds.refreshToken);
      if (s && !s.spent) who = { userId: s.userId, sessionId: s.sessionId };
      else if (s?.spent) decision('logout_refused', { reason: 'refresh_token_spent', userId: s.userId, sessionId: s.sessionId });
    }
    if (!who) throw failure ?? new AppError(creds.refreshToken ? 'invalid_refresh_token' : 'unauthorized');
    const { userId, sessionId } = who;
    // The entry is written in the transaction that ends the sessions; on its own when none ended.
    const entry = (n: number) => ({ type: 'user.logout' as const, subject: userId, actor: { type: 'user' as const, id: userId }, details: { sessionsRevoked: n, scope, sessionId } });
    let recorded = false;
    const revoked = scope === 'local'
      ? Number(await sessions.revokeOwn(userId, sessionId, 'logout', (batch) => { recorded = true; gate.recordBatched(batch, entry(1)); }))
      : await sessions.revokeAllForUser(userId, 'logout', scope === 'others' ? sessionId : undefined, (batch, ids) => { recorded = true; gate.recordBatched(batch, entry(ids.length)); });
    if (!recorded) await record(entry(revoked));
    decision('logout', { userId, scope, sessionsRevoked: revoked });
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
          // A token of an OpenID Connect grant names its client and scopes.
          ...(typeof claims.client_id === 'string' ? { client_id: claims.client_id } : {}), ...(typeof claims.scope === 'string' ? { scope: claims.scope } : {}),
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
      active: true, token_type: 'Refresh', sub: s.userId, sid: s.sessionId, client_id: s.client.startsWith('oidc:') ? s.client.slice(5) : s.client, username: user.username, role: user.role,
      exp: Math.floor(s.expiresAt.getTime() / 1000), iat: Math.floor(s.issuedAt.getTime() / 1000),
    };
  }

  /** Lifts a sign-in lock of a user (both identifiers); an admin action. */
  async function unlock(user: UserRow): Promise<void> {
    await deps.lockout.reset([
      ...deps.lockout.keysOf(`username:${normalizeUsername(user.username).toLowerCase()}`, user.id),
      ...(user.email !== null ? deps.lockout.keysOf(`email:${normalizeEmail(user.email)}`) : []),
    ]);
  }

  return { refresh, authenticate, authenticateCached, authenticateFirstParty, authenticateFirstPartyCached, logout, introspect, unlock };
}

export type AuthService = ReturnType<typeof createAuthService>;
