// The first step of a social sign-in: the provider's authorization URL, with a state kept
// (hashed, single use, 10 minutes) for the step that follows. A browser's state is bound
// to its binding cookie and carries the PKCE verifier (sealed); a native app's is bound to
// the app's own S256 challenge (native.ts says why).
import * as client from 'openid-client';
import { randomToken, sha256 } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import { bindingOfChallenge, bindsNativeCodes, checkNativeRedirect, S256_CHALLENGE } from './native.ts';
import type { OAuthServiceDeps } from './oauth-deps.ts';
import * as repo from './oauth.repo.ts';

const STATE_TTL_S = 600;

export interface StartInput {
  redirectTo?: string | undefined;
  linkUserId?: string | undefined;
  browserBinding: string;
}

/**
 * The provider's authorization URL for a browser. The state is stored hashed for 10
 * minutes with the PKCE verifier (sealed), the nonce, where to go afterwards, and the
 * hash of the browser's binding cookie.
 */
export async function start(deps: OAuthServiceDeps, name: string, input: StartInput): Promise<{ url: string; formPost: boolean }> {
  const { db, clock, encrypter, registry } = deps;
  const p = await registry.get(name);
  const redirectTo = deps.redirects.check(input.redirectTo);
  const state = randomToken(32);
  const verifier = p.adapter.pkce ? client.randomPKCECodeVerifier() : null;
  const nonce = p.adapter.oidc ? client.randomNonce() : null;
  const now = clock.now();
  await repo.pruneStates(db, new Date(now));
  await repo.insertState(db, {
    state_hash: sha256(state), provider: p.name, browser_hash: sha256(input.browserBinding),
    code_verifier_encrypted: verifier ? encrypter.encrypt(verifier, `oauth_state:${state}`) : null,
    nonce, redirect_to: redirectTo, link_user_id: input.linkUserId ?? null, client: 'web',
    created_at: new Date(now), expires_at: new Date(now + STATE_TTL_S * 1000),
  });
  const params: Record<string, string> = { redirect_uri: p.callbackUrl, scope: p.scopes.join(' '), state, ...(p.adapter.authParams ?? {}) };
  if (nonce) params.nonce = nonce;
  if (verifier) Object.assign(params, { code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  if (p.adapter.responseMode) params.response_mode = p.adapter.responseMode;
  return { url: client.buildAuthorizationUrl(p.config, params).href, formPost: p.adapter.responseMode === 'form_post' };
}

export interface NativeStartInput {
  redirectUri: string;
  codeChallenge: string;
  codeChallengeMethod?: string | undefined;
}

/**
 * Native apps, first step: the provider's authorization URL for the app's own redirect,
 * and a state (single use, 10 minutes) bound to the app's S256 code challenge. The
 * nonce (OIDC) is Tessera's; the challenge goes to the provider too when it does PKCE.
 */
export async function nativeStart(deps: OAuthServiceDeps, name: string, input: NativeStartInput): Promise<{ url: string; state: string; expiresAt: string }> {
  const { db, clock, registry } = deps;
  const p = await registry.get(name);
  // 1. The provider can tie a code to the request that asked for it (native.ts).
  if (!bindsNativeCodes(p.adapter)) throw new AppError('oauth_native_unsupported');
  // 2. The app's own redirect, never Tessera's web callback.
  const redirectUri = checkNativeRedirect(input.redirectUri, p, deps.redirects);
  // 3. An S256 challenge.
  if ((input.codeChallengeMethod ?? 'S256') !== 'S256' || !S256_CHALLENGE.test(input.codeChallenge)) {
    throw new AppError('validation_failed', { message: 'codeChallenge: an S256 challenge (43 characters of base64url), codeChallengeMethod S256' });
  }
  const state = randomToken(32);
  const nonce = p.adapter.oidc ? client.randomNonce() : null;
  const now = clock.now();
  const expiresAt = new Date(now + STATE_TTL_S * 1000);
  await repo.pruneStates(db, new Date(now));
  await repo.insertState(db, {
    state_hash: sha256(state), provider: p.name, browser_hash: bindingOfChallenge(input.codeChallenge), code_verifier_encrypted: null,
    nonce, redirect_to: redirectUri, link_user_id: null, client: 'native', created_at: new Date(now), expires_at: expiresAt,
  });
  const params: Record<string, string> = { redirect_uri: redirectUri, scope: p.scopes.join(' '), state, ...(p.adapter.authParams ?? {}) };
  if (nonce) params.nonce = nonce;
  if (p.adapter.pkce) Object.assign(params, { code_challenge: input.codeChallenge, code_challenge_method: 'S256' });
  if (p.adapter.responseMode) params.response_mode = p.adapter.responseMode;
  return { url: client.buildAuthorizationUrl(p.config, params).href, state, expiresAt: expiresAt.toISOString() };
}

/** Deletes sign-in states past their 10 minutes (hourly housekeeping). */
export function pruneExpiredStates(deps: OAuthServiceDeps) {
  return repo.pruneStates(deps.db, new Date(deps.clock.now()));
}
