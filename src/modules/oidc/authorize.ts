// The authorization endpoint (OAuth 2.1 4.1, OpenID Connect Core 3.1.2), in two steps.
// GET /oauth2/authorize checks the client and its redirect URI first (until both are
// known, an error is a page of ours, never a redirect: no open redirect), then the rest
// of the request (an error now goes back to the client, with `state` and `iss`), and
// keeps the request for the browser. The hosted page then asks POST
// /auth/oauth2/authorize, where the browser's session cookie is readable, what is next:
// the hosted sign-in (every factor, through the one gate), a consent, or the redirect
// back with a code (single use, 60 seconds, bound to the client, the redirect URI, the
// PKCE challenge and the browser session).
import { randomUUID } from 'node:crypto';
import { randomToken, sha256 } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import { assuranceLevel } from '../tokens/index.ts';
import * as repo from './oidc.repo.ts';
import type { AuthorizationParams, OidcClientRow } from './oidc.table.ts';
import type { ProviderDeps } from './provider-deps.ts';

export interface AuthorizeQuery {
  client_id?: string; redirect_uri?: string; response_type?: string; response_mode?: string; scope?: string; state?: string; nonce?: string;
  code_challenge?: string; code_challenge_method?: string; prompt?: string; max_age?: string; login_hint?: string; acr_values?: string;
  request?: string; request_uri?: string;
}

export type AuthorizeStart =
  | { kind: 'page'; code: 'oidc_client_unknown' | 'oidc_redirect_uri_mismatch' }
  | { kind: 'redirect'; location: string }
  | { kind: 'continue'; handle: string };

export type AuthorizeNext =
  | { action: 'redirect'; location: string }
  | { action: 'sign_in'; location: string }
  | { action: 'consent'; client: { clientId: string; name: string; logoUrl: string | null }; scopes: string[] };

/** How long the browser has to sign in and consent. */
const REQUEST_TTL_MS = 15 * 60_000;
const VERIFIER_OR_CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;
const PROMPTS = new Set(['none', 'login', 'consent', 'select_account']);

class RedirectError extends Error {
  constructor(readonly error: string, readonly description: string) { super(error); }
}

export function createAuthorization(deps: ProviderDeps) {
  const { db, clock, clients, sessions, users, audit } = deps;

  /** The client's redirect URI with the answer's parameters, `iss` always (RFC 9207). */
  function back(redirectUri: string, params: Record<string, string | null>): string {
    const u = new URL(redirectUri);
    for (const [k, v] of Object.entries(params)) if (v !== null) u.searchParams.set(k, v);
    u.searchParams.set('iss', deps.issuer);
    return u.toString();
  }
  const errorBack = (redirectUri: string, state: string | null, error: string, description: string) =>
    back(redirectUri, { error, error_description: description, state });

  /** The request's parameters, each checked; a RedirectError names what is wrong. */
  function check(client: OidcClientRow, q: AuthorizeQuery, redirectUri: string): AuthorizationParams {
    if (q.request !== undefined) throw new RedirectError('request_not_supported', 'request objects are not supported');
    if (q.request_uri !== undefined) throw new RedirectError('request_uri_not_supported', 'request_uri is not supported');
    if (q.response_mode !== undefined && q.response_mode !== 'query') throw new RedirectError('invalid_request', 'response_mode must be query');
    if (q.response_type !== 'code') throw new RedirectError('unsupported_response_type', 'response_type must be code');
    const scopes = [...new Set((q.scope ?? '').split(' ').filter(Boolean))];
    if (!scopes.length) throw new RedirectError('invalid_scope', 'scope is required');
    const outside = scopes.filter((s) => !client.allowed_scopes.includes(s));
    if (outside.length) throw new RedirectError('invalid_scope', `not allowed for this client: ${outside.join(' ')}`);
    // PKCE is required of every client (OAuth 2.1), with S256 only (RFC 9700 2.1.1).
    if (q.code_challenge === undefined) throw new RedirectError('invalid_request', 'code_challenge is required (PKCE)');
    if (q.code_challenge_method !== 'S256') throw new RedirectError('invalid_request', 'code_challenge_method must be S256');
    if (!VERIFIER_OR_CHALLENGE.test(q.code_challenge)) throw new RedirectError('invalid_request', 'code_challenge is malformed');
    const prompt = [...new Set((q.prompt ?? '').split(' ').filter(Boolean))];
    if (prompt.some((p) => !PROMPTS.has(p))) throw new RedirectError('invalid_request', 'unknown prompt value');
    if (prompt.includes('none') && prompt.length > 1) throw new RedirectError('invalid_request', 'prompt=none cannot be combined with other values');
    let maxAge: number | null = null;
    if (q.max_age !== undefined) {
      if (!/^\d{1,9}$/.test(q.max_age)) throw new RedirectError('invalid_request', 'max_age must be a non-negative integer');
      maxAge = Number(q.max_age);
    }
    const acr = (q.acr_values ?? '').split(' ').includes('aal2') ? 'aal2' : null;
    return {
      redirectUri, scopes, state: q.state ?? null, nonce: q.nonce ?? null, codeChallenge: q.code_challenge, prompt, maxAge,
      loginHint: q.login_hint?.slice(0, 254) ?? null, acr,
    };
  }

  /** GET /oauth2/authorize. */
  async function start(q: AuthorizeQuery): Promise<AuthorizeStart> {
    // 1. The client, 2. its redirect URI (exact string match): errors are ours to show.
    const client = q.client_id ? await clients.findActive(q.client_id) : undefined;
    if (!client) return { kind: 'page', code: 'oidc_client_unknown' };
    if (!q.redirect_uri || !client.redirect_uris.includes(q.redirect_uri)) return { kind: 'page', code: 'oidc_redirect_uri_mismatch' };
    // 3. The rest: errors go back to the client.
    let params: AuthorizationParams;
    try {
      params = check(client, q, q.redirect_uri);
    } catch (err) {
      if (err instanceof RedirectError) return { kind: 'redirect', location: errorBack(q.redirect_uri, q.state ?? null, err.error, err.description) };
      throw err;
    }
    // 4. Kept for the browser, under a handle only it holds.
    const handle = randomToken(32);
    const now = clock.now();
    await repo.insertRequest(db, { id_hash: sha256(handle), client_id: client.client_id, params, created_at: new Date(now), expires_at: new Date(now + REQUEST_TTL_MS) });
    return { kind: 'continue', handle };
  }

  /**
   * POST /auth/oauth2/authorize: the next step of a kept request, for the browser whose
   * refresh cookie is `cookie`. `decision` is the user's answer on the consent page.
   */
  async function resume(handle: string, cookie: string | undefined, decision: 'approve' | 'deny' | undefined, signInPage: (handle: string, loginHint?: string | null) => string): Promise<AuthorizeNext> {
    const hash = sha256(handle);
    const request = await repo.findRequest(db, hash);
    const now = clock.now();
    if (!request || request.expires_at.getTime() <= now) throw new AppError('oidc_request_invalid');
    const client = await clients.findActive(request.client_id);
    if (!client) throw new AppError('oidc_request_invalid');
    const p = request.params;
    const finish = async (location: string): Promise<AuthorizeNext> => {
      await repo.deleteRequest(db, hash);
      return { action: 'redirect', location };
    };
    const fail = (error: string, description: string) => finish(errorBack(p.redirectUri, p.state, error, description));

    // 1. The browser's session, and when and how its user last proved who they are.
    const s = cookie ? await sessions.sessionOfRefreshToken(cookie) : undefined;
    const live = s && !s.spent && !s.client.startsWith('oidc:') ? s : undefined;
    const proof = live ? await sessions.proof(live.sessionId) : null;
    const user = live && proof ? await users.findById(live.userId) : undefined;
    // 2. A sign-in is needed without one, when prompt=login asks for a fresh one, past
    // max_age, or when aal2 is asked of a session without a second factor.
    const signedInSince = proof !== null && proof.at >= request.created_at.getTime();
    const stale = proof !== null && p.maxAge !== null && now - proof.at > p.maxAge * 1000;
    const weak = proof !== null && p.acr === 'aal2' && assuranceLevel(proof.amr) !== 'aal2';
    if (!live || !proof || !user?.is_active || (p.prompt.includes('login') && !signedInSince) || (stale && !signedInSince) || weak) {
      if (p.prompt.includes('none')) return fail('login_required', 'the user is not signed in (or not recently enough)');
      // A fresh sign-in that still reached only aal1: the account has no second factor.
      if (weak && signedInSince) return fail('access_denied', 'a second factor is required (acr_values=aal2) and the account has none');
      return { action: 'sign_in', location: signInPage(handle, p.loginHint) };
    }
    // 3. Consent, unless the client is first-party or the user already allowed these scopes.
    if (!client.first_party) {
      if (decision === 'deny') return fail('access_denied', 'the user did not allow the request');
      const given = await repo.findConsent(db, user.id, client.client_id);
      const covered = given !== undefined && p.scopes.every((sc) => given.scopes.includes(sc));
      if (decision === 'approve') {
        const scopes = [...new Set([...(given?.scopes ?? []), ...p.scopes])];
        await db.transaction().execute(async (trx) => {
          await repo.saveConsent(trx, user.id, client.client_id, scopes, new Date(now));
          await audit(trx, { type: 'oidc.consent_granted', subject: user.id, actor: { type: 'user', id: user.id }, details: { clientId: client.client_id, scopes } });
        });
      } else if (!covered || p.prompt.includes('consent')) {
        if (p.prompt.includes('none')) return fail('consent_required', 'the user has not allowed this client these scopes');
        return { action: 'consent', client: { clientId: client.client_id, name: client.name, logoUrl: client.logo_url }, scopes: p.scopes };
      }
    }
    // 4. The code.
    const code = randomToken(32);
    const grantSessionId = randomUUID();
    await db.transaction().execute(async (trx) => {
      await repo.insertCode(trx, {
        code_hash: sha256(code), client_id: client.client_id, user_id: user.id, sso_session_id: live.sessionId, grant_session_id: grantSessionId,
        redirect_uri: p.redirectUri, code_challenge: p.codeChallenge, nonce: p.nonce, scopes: p.scopes,
        auth_time: new Date(proof.at), amr: proof.amr, acr: assuranceLevel(proof.amr), created_at: new Date(now), expires_at: new Date(now + deps.codeTtl * 1000),
      });
      await repo.deleteRequest(trx, hash);
      await audit(trx, { type: 'oidc.code_issued', subject: user.id, actor: { type: 'user', id: user.id }, details: { clientId: client.client_id, scopes: p.scopes, sessionId: live.sessionId } });
    });
    return { action: 'redirect', location: back(p.redirectUri, { code, state: p.state }) };
  }

  return { start, resume };
}

export type Authorization = ReturnType<typeof createAuthorization>;
