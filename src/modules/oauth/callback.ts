// The browser flow's second step: the provider's answer (query, or form for Apple) taken
// against the state its start stored, the code exchanged, and the account signed in.
import * as client from 'openid-client';
import { safeEqual, sha256 } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { SessionContext } from '../sessions/index.ts';
import type { OAuthServiceDeps } from './oauth-deps.ts';
import * as repo from './oauth.repo.ts';
import { profileOf, providerFailure, type TokenResponse } from './provider-answer.ts';
import { finish, resolveAccount, type Outcome } from './sign-in-or-up.ts';

/**
 * The provider's answer (query, or form for Apple). Returns the outcome, or throws
 * an AppError carrying where the browser should be sent (`fields.redirectTo`).
 */
export async function callback(deps: OAuthServiceDeps, name: string, params: Record<string, string>, browserBinding: string | undefined, ctx: Omit<SessionContext, 'amr'>): Promise<Outcome> {
  const { db, clock, encrypter, registry } = deps;
  const p = await registry.get(name);
  // 1. The state: present, known, unspent, unexpired, and this browser's.
  if (!params.state) throw new AppError('oauth_state_invalid', { message: params.error ? `The provider answered: ${params.error}` : 'The sign-in has no state' });
  const row = await repo.takeState(db, sha256(params.state), p.name);
  if (!row) throw new AppError('oauth_state_invalid', { message: 'The sign-in is unknown or was already completed; start again' });
  const redirectTo = row.redirect_to;
  const fail = (err: unknown) => {
    const e = providerFailure(deps, err, p.name);
    return new AppError(e.code, { message: e.message, details: e.details, fields: { ...(e.fields ?? {}), redirectTo } });
  };
  if (row.expires_at.getTime() < clock.now()) throw fail(new AppError('oauth_state_invalid', { message: 'The sign-in took more than 10 minutes; start again' }));
  if (row.browser_hash && !(browserBinding && safeEqual(sha256(browserBinding), row.browser_hash))) {
    throw fail(new AppError('oauth_state_invalid', { message: 'The sign-in was started in another browser' }));
  }
  // 2. The code, exchanged with the verifier; the ID token checked with the nonce.
  let tokens: TokenResponse;
  try {
    const current = new URL(p.callbackUrl);
    for (const [k, v] of Object.entries(params)) if (k !== 'user') current.searchParams.set(k, v);
    tokens = await client.authorizationCodeGrant(p.config, current, {
      expectedState: params.state,
      ...(row.code_verifier_encrypted ? { pkceCodeVerifier: encrypter.decrypt(row.code_verifier_encrypted, `oauth_state:${params.state}`).toString('utf8') } : {}),
      ...(row.nonce ? { expectedNonce: row.nonce } : {}),
      idTokenExpected: p.adapter.oidc,
    });
  } catch (err) {
    throw fail(err);
  }
  // 3. The profile, the account, the session.
  try {
    const profile = await profileOf(deps, p, tokens, params);
    const { user, linked } = await resolveAccount(deps, p, profile, tokens, row.link_user_id);
    return await finish(deps, user, linked, p, { ...ctx, client: row.client }, redirectTo);
  } catch (err) {
    throw fail(err);
  }
}
