// The token endpoint's grants for OpenID Connect clients (OAuth 2.1 4.1.3 and 4.3), the
// UserInfo endpoint and token revocation (RFC 7009). Each code is exchanged once: a second
// presentation ends the grant the first one started (RFC 9700 4.5). Refresh tokens are
// the grant's session's own family, so they rotate with the reuse detection of
// /auth/refresh. Errors are RFC 6749 5.2's (the routes are marked `oauthErrors`).
import { createHash } from 'node:crypto';
import { safeEqual, sha256 } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { UserRow } from '../users/index.ts';
import { scopedClaims } from './id-token.ts';
import * as repo from './oidc.repo.ts';
import type { OidcClientRow } from './oidc.table.ts';
import { grantClient, type ProviderDeps } from './provider-deps.ts';

export interface TokenAnswer {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  id_token?: string;
  scope: string;
}

export interface RequestContext { ip: string | null; userAgent: string | null }

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

const invalidGrant = (description: string) => new AppError('invalid_grant', { message: description });

export function createTokenGrants(deps: ProviderDeps) {
  const { db, clock, sessions, users, gate, audit, log } = deps;

  async function idToken(user: UserRow, clientId: string, g: { scopes: string[]; auth_time: Date; amr: string[]; acr: string; sso_session_id: string | null }, nonce: string | null): Promise<string | undefined> {
    if (!g.scopes.includes('openid')) return undefined;
    const iat = Math.floor(clock.now() / 1000);
    return gate.signIdToken({
      ...scopedClaims(user, g.scopes), iss: deps.issuer, aud: clientId, azp: clientId, iat, exp: iat + deps.idTokenTtl,
      auth_time: Math.floor(g.auth_time.getTime() / 1000), amr: g.amr, acr: g.acr, ...(g.sso_session_id ? { sid: g.sso_session_id } : {}), ...(nonce !== null ? { nonce } : {}),
    });
  }

  /** Ends grants (their sessions) after a refusal or a revocation; returns the ids that ended. */
  async function endGrants(ids: string[], reason: string): Promise<string[]> {
    const ended: string[] = [];
    for (const id of ids) if (await sessions.revoke(id, reason)) ended.push(id);
    return ended;
  }

  /** grant_type=authorization_code. */
  async function exchangeCode(client: OidcClientRow, body: { code?: string; redirect_uri?: string; code_verifier?: string }, ctx: RequestContext): Promise<TokenAnswer> {
    if (!body.code) throw new AppError('invalid_request', { message: 'code is required' });
    if (!body.redirect_uri) throw new AppError('invalid_request', { message: 'redirect_uri is required' });
    if (!body.code_verifier) throw new AppError('invalid_request', { message: 'code_verifier is required (PKCE)' });
    const hash = sha256(body.code);
    const now = clock.now();
    // 1. The code, locked and spent in one transaction: a second exchange waits, then sees it spent.
    const outcome = await db.transaction().execute(async (trx) => {
      const row = await repo.findCodeForUpdate(trx, hash);
      if (!row || row.client_id !== client.client_id) return { kind: 'unknown' as const };
      if (row.used_at) return { kind: 'reused' as const, row };
      await repo.markCodeUsed(trx, hash, new Date(now));
      return { kind: 'fresh' as const, row };
    });
    if (outcome.kind === 'unknown') throw invalidGrant('the code is unknown or was issued to another client');
    const row = outcome.row;
    const refuse = async (reason: string, description: string, grantIds: string[] = []) => {
      await audit(db, { type: 'oidc.grant_refused', subject: row.user_id, success: false, reason, actor: { type: 'anonymous' }, details: { clientId: client.client_id, grantIds } });
      return invalidGrant(description);
    };
    // 2. A reused code: the tokens issued from it end (it was stolen, or the client is broken).
    if (outcome.kind === 'reused') {
      const ended = await endGrants([row.grant_session_id], 'authorization_code_reused');
      log.warn({ auth: 'authorization_code_reused', clientId: client.client_id, userId: row.user_id, grantIds: ended }, 'authorization code presented twice: its grant was revoked');
      throw await refuse('authorization_code_reused', 'the code was already used', ended);
    }
    // 3. Expiry, the redirect URI, then PKCE (S256 only).
    if (row.expires_at.getTime() <= now) throw await refuse('authorization_code_expired', 'the code has expired');
    if (body.redirect_uri !== row.redirect_uri) throw await refuse('redirect_uri_mismatch', 'redirect_uri differs from the authorization request');
    const computed = createHash('sha256').update(body.code_verifier).digest('base64url');
    if (!VERIFIER.test(body.code_verifier) || !safeEqual(computed, row.code_challenge)) throw await refuse('pkce_failed', 'code_verifier does not match the code_challenge');
    // 4. The browser session it came from is still live, and so is the user.
    const proof = await sessions.proof(row.sso_session_id);
    const user = await users.findById(row.user_id);
    if (!proof || !user?.is_active) throw await refuse('session_ended', 'the session that authorized this code has ended');
    // 5. The grant: a session of the client's own, through the gate.
    const scope = row.scopes.join(' ');
    const grant = { scopes: row.scopes, auth_time: row.auth_time, amr: row.amr, acr: row.acr, sso_session_id: row.sso_session_id };
    const issued = await gate.startGrant(user, { client: grantClient(client.client_id), ip: ctx.ip, userAgent: ctx.userAgent, amr: row.amr }, row.grant_session_id, {
      clientId: client.client_id, scope,
      record: async (trx) => {
        await repo.insertGrant(trx, { session_id: row.grant_session_id, client_id: client.client_id, user_id: user.id, ...grant, created_at: new Date(now) });
        await audit(trx, { type: 'oidc.token_issued', subject: user.id, actor: { type: 'user', id: user.id }, details: { clientId: client.client_id, grantType: 'authorization_code', grantId: row.grant_session_id, scopes: row.scopes } });
      },
    });
    const id = await idToken(user, client.client_id, grant, row.nonce);
    return {
      access_token: issued.accessToken, token_type: 'Bearer', expires_in: Math.max(0, issued.expiresAt - Math.floor(clock.now() / 1000)),
      refresh_token: issued.refreshToken, ...(id ? { id_token: id } : {}), scope,
    };
  }

  /** grant_type=refresh_token: the grant's family rotates, with reuse detection. */
  async function refresh(client: OidcClientRow, body: { refresh_token?: string; scope?: string }): Promise<TokenAnswer> {
    if (!body.refresh_token) throw new AppError('invalid_request', { message: 'refresh_token is required' });
    // 1. Only the client it was issued to may present it (nothing is spent otherwise).
    const s = await sessions.sessionOfRefreshToken(body.refresh_token);
    if (!s || s.client !== grantClient(client.client_id)) throw invalidGrant('the refresh token is invalid, expired, or was issued to another client');
    const grant = await repo.findGrant(db, s.sessionId);
    if (!grant) throw invalidGrant('the refresh token is invalid');
    if (body.scope !== undefined) {
      const asked = body.scope.split(' ').filter(Boolean);
      if (asked.some((sc) => !grant.scopes.includes(sc))) throw new AppError('invalid_scope', { message: 'a refresh cannot widen the scope' });
    }
    // 2. Spend it (or detect its reuse, which ends the grant).
    let result;
    try {
      result = await sessions.rotate(body.refresh_token);
    } catch (err) {
      if (err instanceof AppError && err.code === 'invalid_refresh_token') throw invalidGrant('the refresh token is invalid or has expired');
      throw err;
    }
    if (result.kind === 'reused') {
      await audit(db, { type: 'oidc.grant_refused', subject: result.userId, success: false, reason: 'refresh_token_reused', actor: { type: 'anonymous' }, details: { clientId: client.client_id, grantIds: [result.sessionId] } });
      await audit(db, { type: 'session.refresh_reused', subject: result.userId, success: false, reason: 'refresh_token_reused', actor: { type: 'anonymous' }, details: { sessionId: result.sessionId } });
      throw invalidGrant('the refresh token was already used; the grant has been revoked');
    }
    const user = await users.findById(result.userId);
    if (!user?.is_active) {
      await sessions.revoke(result.sessionId, 'account_disabled');
      throw invalidGrant('the account is disabled');
    }
    // 3. New tokens, with the grant's scopes and the sign-in's time and methods.
    const claims = { ...(await gate.accessClaims(user, result.sessionId, result.amr, 'refresh')), client_id: client.client_id, scope: grant.scopes.join(' ') };
    const accessToken = await gate.sign(claims);
    const id = await idToken(user, client.client_id, grant, null);
    await audit(db, { type: 'oidc.token_issued', subject: user.id, actor: { type: 'user', id: user.id }, details: { clientId: client.client_id, grantType: 'refresh_token', grantId: result.sessionId } });
    return {
      access_token: accessToken, token_type: 'Bearer', expires_in: Math.max(0, claims.exp - Math.floor(clock.now() / 1000)),
      refresh_token: result.refreshToken, ...(id ? { id_token: id } : {}), scope: grant.scopes.join(' '),
    };
  }

  /** GET/POST /oauth2/userinfo: the claims of the token's scopes (a token of an OpenID Connect grant only). */
  async function userinfo(accessToken: string): Promise<Record<string, unknown>> {
    const { claims, user } = await deps.authenticate(accessToken);
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    if (typeof claims.client_id !== 'string' || !scopes.includes('openid')) {
      throw new AppError('invalid_token', { message: 'the token was not issued for UserInfo (scope openid)', headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="openid"' } });
    }
    return scopedClaims(user, scopes);
  }

  /**
   * RFC 7009: the grant of an access or refresh token issued to `client` ends (its session,
   * so both its tokens). Anything else (unknown, expired, another client's) changes
   * nothing, and the answer is the same.
   */
  async function revoke(client: OidcClientRow, token: string): Promise<void> {
    let sessionId: string | undefined;
    let userId: string | undefined;
    if (token.split('.').length === 3) {
      try {
        const { claims } = await deps.authenticate(token);
        if (claims.client_id === client.client_id) { sessionId = claims.sid; userId = claims.sub; }
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
      }
    } else {
      const s = await sessions.sessionOfRefreshToken(token);
      if (s && !s.spent && s.client === grantClient(client.client_id)) { sessionId = s.sessionId; userId = s.userId; }
    }
    if (!sessionId) return;
    const ended = await endGrants([sessionId], 'token_revoked');
    if (ended.length) await audit(db, { type: 'oidc.token_revoked', subject: userId ?? null, actor: { type: 'anonymous' }, details: { clientId: client.client_id, grantIds: ended } });
  }

  return { exchangeCode, refresh, userinfo, revoke, idToken };
}

export type TokenGrants = ReturnType<typeof createTokenGrants>;
