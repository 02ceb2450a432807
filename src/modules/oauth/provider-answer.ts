// A provider's answer in Tessera's terms: its failures as error codes (never with the
// provider's secrets), and its token response as a profile.
import * as client from 'openid-client';
import { AppError } from '../../core/errors/index.ts';
import { normalizeEmail } from '../users/index.ts';
import type { OAuthServiceDeps } from './oauth-deps.ts';
import type { Profile } from './providers/index.ts';
import type { ResolvedProvider } from './registry.ts';

/** A token endpoint's answer as openid-client returns it (with its ID token's claims). */
export type TokenResponse = client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;

/** Maps openid-client failures to codes; never passes the provider's secrets along. */
export function providerFailure(deps: OAuthServiceDeps, err: unknown, provider: string): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof client.AuthorizationResponseError) {
    return new AppError('oauth_provider_error', { message: `The provider answered: ${err.error}`, details: { error: err.error, description: err.error_description?.slice(0, 300) ?? null } });
  }
  if (err instanceof client.ResponseBodyError) {
    if (err.error === 'invalid_grant') return new AppError('oauth_code_invalid');
    return new AppError('oauth_provider_error', { message: `The provider refused the exchange: ${err.error}`, details: { error: err.error } });
  }
  const code = (err as { code?: string }).code;
  deps.log.warn({ oauth: 'provider_failure', provider, code, err: (err as Error).message }, 'OAuth provider exchange failed');
  // Checks of the provider's answer (ID token, nonce, issuer) are the provider's fault or an attack.
  if (typeof code === 'string' && code.startsWith('OAUTH_') && code !== 'OAUTH_TIMEOUT' && !/RESPONSE_IS_NOT_CONFORM|HTTP_REQUEST_FORBIDDEN/.test(code)) {
    return new AppError('oauth_provider_error', { message: 'The provider\'s answer did not pass validation', details: { error: code.toLowerCase() } });
  }
  return new AppError('oauth_provider_unavailable', { cause: err });
}

/** The profile behind a token response. */
export async function profileOf(deps: OAuthServiceDeps, p: ResolvedProvider, tokens: TokenResponse, callback: Record<string, string>): Promise<Profile> {
  const get = async (url: string, headers: Record<string, string> = {}) => {
    const res = await client.fetchProtectedResource(p.config, tokens.access_token, new URL(url), 'GET', undefined, new Headers({ accept: 'application/json', 'user-agent': 'Tessera', ...headers }));
    if (!res.ok) throw new Error(`profile request answered ${res.status}`);
    return res.json();
  };
  try {
    const profile = await p.adapter.profile({ claims: tokens.claims() as Record<string, unknown> | undefined, accessToken: tokens.access_token, get, settings: p.settings, endpoints: p.endpoints, callback });
    if (profile.email) profile.email = normalizeEmail(profile.email);
    return profile;
  } catch (err) {
    deps.log.warn({ oauth: 'profile_failed', provider: p.name, err: (err as Error).message }, 'OAuth provider profile could not be read');
    throw new AppError('oauth_provider_unavailable', { message: 'The provider\'s profile could not be read', cause: err });
  }
}
