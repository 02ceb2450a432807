// Native apps' code exchange: the second step of the flow native.ts explains, after the
// state that authorize-start.ts stored.
import * as client from 'openid-client';
import { safeEqual, sha256 } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { SessionContext } from '../sessions/index.ts';
import { bindingOfVerifier, bindsNativeCodes, checkNativeRedirect, CODE_VERIFIER } from './native.ts';
import type { OAuthServiceDeps } from './oauth-deps.ts';
import * as repo from './oauth.repo.ts';
import { profileOf, providerFailure, type TokenResponse } from './provider-answer.ts';
import { finish, resolveAccount, type Outcome } from './sign-in-or-up.ts';

export interface ExchangeInput {
  code: string;
  state: string;
  codeVerifier: string;
  redirectUri: string;
}

/**
 * Native apps, second step: the code their redirect received, with the state of the
 * first step and the verifier of its challenge, exchanged here. A code the provider
 * issued for another request (the browser flow's, another app's) is refused.
 */
export async function exchange(deps: OAuthServiceDeps, name: string, input: ExchangeInput, ctx: Omit<SessionContext, 'amr'>): Promise<Outcome> {
  const { db, clock, registry } = deps;
  const p = await registry.get(name);
  // 1. The provider can tie a code to the request that asked for it.
  if (!bindsNativeCodes(p.adapter)) throw new AppError('oauth_native_unsupported');
  // 2. The app's own redirect, never Tessera's web callback.
  const redirectUri = checkNativeRedirect(input.redirectUri, p, deps.redirects);
  // 3. A verifier of RFC 7636 form.
  if (!CODE_VERIFIER.test(input.codeVerifier)) throw new AppError('validation_failed', { message: 'codeVerifier: 43 to 128 characters of A-Z a-z 0-9 - . _ ~' });
  // 4. The state: a native one of this provider, unexpired, started for this redirect;
  //    taken out (once) only with the verifier of its challenge, so that a wrong guess spends nothing.
  const stateHash = sha256(input.state);
  const row = await repo.findNativeState(db, stateHash, p.name);
  if (!row) throw new AppError('oauth_state_invalid', { message: 'The sign-in is unknown or was already completed; start again' });
  if (row.expires_at.getTime() < clock.now()) throw new AppError('oauth_state_invalid', { message: 'The sign-in took more than 10 minutes; start again' });
  if (row.redirect_to !== redirectUri) throw new AppError('oauth_state_invalid', { message: 'The sign-in was started for another redirectUri' });
  const binding = bindingOfVerifier(input.codeVerifier);
  if (!row.browser_hash || !safeEqual(binding, row.browser_hash)) throw new AppError('oauth_code_invalid', { message: 'The code verifier does not match the code challenge of the sign-in' });
  if (!(await repo.takeNativeState(db, stateHash, p.name, binding))) throw new AppError('oauth_state_invalid', { message: 'The sign-in was already completed; start again' });
  // 5. The code, exchanged (with the verifier when the provider checks it).
  let tokens: TokenResponse;
  try {
    tokens = await client.genericGrantRequest(p.config, 'authorization_code', { code: input.code, redirect_uri: redirectUri, ...(p.adapter.pkce ? { code_verifier: input.codeVerifier } : {}) });
  } catch (err) {
    throw providerFailure(deps, err, p.name);
  }
  // 6. The answer belongs to this sign-in: its ID token carries the state's nonce.
  const claims = tokens.claims();
  if (p.adapter.oidc && !claims) throw new AppError('oauth_provider_error', { message: 'The provider returned no ID token' });
  if (row.nonce !== null && !(typeof claims?.nonce === 'string' && safeEqual(claims.nonce, row.nonce))) {
    throw new AppError('oauth_code_invalid', { message: 'The code was issued for another sign-in (its ID token carries another nonce)' });
  }
  const profile = await profileOf(deps, p, tokens, {});
  const { user } = await resolveAccount(deps, p, profile, tokens, null);
  return finish(deps, user, false, p, ctx, '');
}
