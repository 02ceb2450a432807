// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) and back-channel logout
// (OpenID Connect Back-Channel Logout 1.0). A logout ends the browser session and every
// grant started from it; each client of those grants that registered a
// backchannel_logout_uri then gets a signed logout token, POSTed through the webhooks'
// address policy (no loopback or private address unless allowed, names resolved and
// pinned, no redirects).
import { randomUUID } from 'node:crypto';
import { pinnedPost, resolveTarget } from '../../core/net/index.ts';
import { AppError } from '../../core/errors/index.ts';
import { ownerOfSession } from '../sessions/index.ts';
import { grantsOfEndedSso, liveGrantsOfSso } from './grants.ts';
import * as repo from './oidc.repo.ts';
import type { OidcClientRow } from './oidc.table.ts';
import type { ProviderDeps } from './provider-deps.ts';

export interface LogoutQuery { id_token_hint?: string; client_id?: string; post_logout_redirect_uri?: string; state?: string; ui_locales?: string; logout_hint?: string }

export type LogoutPlan =
  | { kind: 'page'; code: 'oidc_client_unknown' | 'oidc_redirect_uri_mismatch' }
  /** A valid id_token_hint named the session: it can end now. */
  | { kind: 'end'; sessionId: string; userId: string; client: OidcClientRow | undefined; redirect: string | undefined }
  /** No usable hint: the user confirms on a page of ours, which posts with its cookie. */
  | { kind: 'confirm'; client: OidcClientRow | undefined; redirect: string | undefined };

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

export function createLogout(deps: ProviderDeps) {
  const { db, clock, sessions, clients, audit, log, gate } = deps;

  /** Where to go afterwards: the registered post-logout URI with `state`, or nowhere. */
  function redirectOf(client: OidcClientRow | undefined, uri: string | undefined, state: string | undefined): string | undefined | 'mismatch' {
    if (uri === undefined) return undefined;
    if (!client || !client.post_logout_redirect_uris.includes(uri)) return 'mismatch';
    if (state === undefined) return uri;
    const u = new URL(uri);
    u.searchParams.set('state', state);
    return u.toString();
  }

  /** GET or POST /oauth2/logout: what the request asks, checked. */
  async function plan(q: LogoutQuery): Promise<LogoutPlan> {
    const hint = q.id_token_hint ? deps.verifyIdTokenHint(q.id_token_hint) : undefined;
    const hintClient = typeof hint?.aud === 'string' ? hint.aud : undefined;
    if (q.client_id !== undefined && hintClient !== undefined && q.client_id !== hintClient) return { kind: 'page', code: 'oidc_client_unknown' };
    const clientId = q.client_id ?? hintClient;
    const client = clientId ? await clients.findActive(clientId) : undefined;
    if (clientId && !client) return { kind: 'page', code: 'oidc_client_unknown' };
    const redirect = redirectOf(client, q.post_logout_redirect_uri, q.state);
    if (redirect === 'mismatch') return { kind: 'page', code: 'oidc_redirect_uri_mismatch' };
    if (hint && typeof hint.sid === 'string' && typeof hint.sub === 'string') return { kind: 'end', sessionId: hint.sid, userId: hint.sub, client, redirect };
    return { kind: 'confirm', client, redirect };
  }

  /**
   * Ends a browser session and the grants started from it, then tells the clients that
   * asked (back-channel). `userId`, when known, must own the session.
   */
  async function endSession(sessionId: string, userId: string | undefined, clientId: string | undefined): Promise<void> {
    const grants = await liveGrantsOfSso(db, sessionId);
    const owner = await sessions.proof(sessionId);
    const ended: string[] = [];
    if (owner !== null) {
      if (await sessions.revoke(sessionId, 'logout')) ended.push(sessionId);
    }
    const grantIds: string[] = [];
    for (const g of grants) if (await sessions.revoke(g.session_id, 'logout')) grantIds.push(g.session_id);
    const subject = userId ?? grants[0]?.user_id ?? null;
    if (ended.length || grantIds.length) {
      await audit(db, { type: 'oidc.logout', subject, actor: subject ? { type: 'user', id: subject } : { type: 'anonymous' }, details: { clientId: clientId ?? null, sessionId, grantIds } });
    }
    gate.decision('oidc_logout', { sessionId, grants: grantIds.length });
    await notifyEnded(grants.map((g) => g.session_id));
  }

  /**
   * Back-channel: once per client and browser session, after the sessions ended, and only
   * for the grants this call claims (another instance reacting to the same session's end
   * claims none of them, so no client hears twice).
   */
  async function notifyEnded(grantSessionIds: string[]): Promise<void> {
    const claimed = await repo.claimLogoutNotices(db, grantSessionIds, new Date(clock.now()));
    const notified = new Set<string>();
    for (const g of claimed) {
      const key = `${g.client_id} ${g.sso_session_id ?? g.session_id}`;
      if (!g.backchannel_logout_uri || notified.has(key)) continue;
      notified.add(key);
      void notify(g.backchannel_logout_uri, g.client_id, g.user_id, g.sso_session_id ?? g.session_id);
    }
  }

  const inflight = new Set<Promise<void>>();

  /** POSTs a logout token to a client; failures are logged (the client's session is gone here anyway). */
  function notify(uri: string, clientId: string, userId: string, sid: string): Promise<void> {
    const p = (async () => {
      try {
        const iat = Math.floor(clock.now() / 1000);
        const token = await gate.signIdToken({ iss: deps.issuer, aud: clientId, iat, exp: iat + 120, jti: randomUUID(), sub: userId, sid, events: { [BACKCHANNEL_EVENT]: {} } });
        const url = new URL(uri);
        const signal = AbortSignal.timeout(5000);
        const addresses = await resolveTarget(url, deps.outbound, signal);
        const status = await pinnedPost(url, addresses, { body: new URLSearchParams({ logout_token: token }).toString(), signal, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        if (status < 200 || status >= 300) log.warn({ auth: 'backchannel_logout_failed', clientId, status }, 'back-channel logout: the client answered with an error');
      } catch (err) {
        log.warn({ auth: 'backchannel_logout_failed', clientId, err: (err as Error).message }, 'back-channel logout could not be delivered');
      }
    })();
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    return p;
  }

  /** The hosted confirmation's POST: ends the session of the browser's cookie. */
  async function endCookieSession(cookie: string | undefined, clientId: string | undefined): Promise<boolean> {
    const s = cookie ? await sessions.sessionOfRefreshToken(cookie) : undefined;
    if (!s || s.spent) return false;
    await endSession(s.sessionId, s.userId, clientId);
    return true;
  }

  /** Ends a session named by a verified id_token_hint: only its own user's. */
  async function endHinted(sessionId: string, userId: string, clientId: string | undefined): Promise<void> {
    if ((await ownerOfSession(db, sessionId)) !== userId) throw new AppError('oidc_request_invalid');
    await endSession(sessionId, userId, clientId);
  }

  /**
   * A session that ended elsewhere (signed out through /auth/logout, revoked by the user or
   * an administrator, a password change, a disabled account): the grants that applications
   * obtained through it end too, and the clients that asked are told by back-channel
   * logout. Called for every session (or user's sessions) the invalidation bus announces,
   * on every instance; the notices are claimed in the database, so each client hears once.
   */
  async function ssoSessionEnded(by: { ssoSessionId: string } | { userId: string }): Promise<void> {
    const grants = await grantsOfEndedSso(db, by);
    if (!grants.length) return;
    const ended: string[] = [];
    for (const g of grants) if (g.revoked_at === null && (await sessions.revoke(g.session_id, 'sso_session_ended'))) ended.push(g.session_id);
    if (ended.length) {
      await audit(db, { type: 'oidc.logout', subject: grants[0]!.user_id, actor: { type: 'system' }, details: { clientId: null, sessionId: grants[0]!.sso_session_id, grantIds: ended, reason: 'sso_session_ended' } });
      gate.decision('oidc_logout', { sessionId: grants[0]!.sso_session_id, grants: ended.length });
    }
    await notifyEnded(grants.map((g) => g.session_id));
  }

  return {
    plan, endSession, endCookieSession, endHinted, redirectOf, ssoSessionEnded,
    /** Back-channel notifications still in flight (tests and shutdown wait for them). */
    settled: () => Promise.all([...inflight]).then(() => undefined),
  };
}

export type Logout = ReturnType<typeof createLogout>;
