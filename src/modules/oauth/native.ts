// The rules of the native flow, apart from the service: the shape of a PKCE verifier and
// challenge (RFC 7636), what the state of a native sign-in is bound to, and which
// redirect URIs a native app may use.
//
// Why the state: a code alone proves nothing about who asked for it. The app first asks
// Tessera for the authorization URL with its S256 code_challenge; Tessera keeps the
// challenge with a single-use state and sends the provider a nonce (OpenID Connect) and
// the same challenge (when the provider does PKCE). The exchange must then bring that
// state and the verifier of the challenge, and the provider's answer must be bound to
// that same authorization request: by the provider checking the verifier (PKCE), or by
// the ID token carrying the state's nonce. A provider that can do neither cannot tie a
// code to the app that asked for it, so it is refused for native apps.
import { sha256 } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { ProviderAdapter } from './providers/index.ts';

/** RFC 7636 section 4.1: 43 to 128 characters of the unreserved set. */
export const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** An S256 code_challenge: base64url of a SHA-256, without padding. */
export const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The value a native state is bound to, as it is stored (`browser_hash`): SHA-256 of the
 * verifier, that is the S256 challenge decoded. A browser state stores SHA-256 of its
 * binding cookie in the same column, so the check is the same for both.
 */
export const bindingOfChallenge = (challenge: string): Buffer => Buffer.from(challenge, 'base64url');
export const bindingOfVerifier = (verifier: string): Buffer => sha256(verifier);

/** True when the provider can bind a code to its authorization request (PKCE or an ID token's nonce). */
export const bindsNativeCodes = (adapter: Pick<ProviderAdapter, 'pkce' | 'oidc'>): boolean => adapter.pkce || adapter.oidc;

/**
 * True when `uri` points into Tessera's own social sign-in routes (`<public URL>/auth/oauth/...`,
 * the web callbacks among them), whatever its case, port spelling, dot segments, encoding or query.
 */
export function isOwnOAuthRoute(uri: string, callbackUrl: string, provider: string): boolean {
  const base = new URL(callbackUrl.slice(0, callbackUrl.length - `${provider}/callback`.length));
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return false;
  }
  if (u.origin !== base.origin) return false;
  let path = u.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // A malformed escape: compare the path as it is.
  }
  return path.toLowerCase().startsWith(base.pathname.toLowerCase());
}

/**
 * The redirect URI of a native sign-in, checked: never one of Tessera's web callbacks
 * (codes sent there belong to the browser flow), and an allowed redirect.
 */
export function checkNativeRedirect(uri: string, p: { name: string; callbackUrl: string }, redirects: { check(redirectTo: string | undefined): string }): string {
  if (isOwnOAuthRoute(uri, p.callbackUrl, p.name)) throw new AppError('oauth_web_callback_not_allowed');
  if (!uri) throw new AppError('redirect_not_allowed');
  return redirects.check(uri);
}
