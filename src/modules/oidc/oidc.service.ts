// The provider's composition: clients, authorization, token grants, logout, consents and
// the discovery metadata, over the shared ProviderDeps.
import { createAuthorization } from './authorize.ts';
import { createClientsService, SUPPORTED_SCOPES, type ClientsService } from './clients.service.ts';
import { createConsents } from './consents.ts';
import { ACR_VALUES } from './id-token.ts';
import { liveGrantsOfClient } from './grants.ts';
import { createLogout } from './logout.ts';
import * as repo from './oidc.repo.ts';
import type { ProviderDeps } from './provider-deps.ts';
import { createTokenGrants } from './token.ts';

export interface OidcProviderDeps extends Omit<ProviderDeps, 'clients'> {
  /** Plain http redirect URIs on any host (outside production). */
  allowHttpRedirects: boolean;
  /** The algorithm of the current signing key (ID tokens are signed with it). */
  signingAlg: () => string;
}

export function createOidcProvider(d: OidcProviderDeps) {
  const clients: ClientsService = createClientsService({ db: d.db, clock: d.clock, audit: d.audit, allowHttp: d.allowHttpRedirects });
  const deps: ProviderDeps = { ...d, clients };
  const authorization = createAuthorization(deps);
  const tokens = createTokenGrants(deps);
  const logout = createLogout(deps);
  const consents = createConsents(deps);
  const base = d.issuer;

  /** OpenID Connect Discovery 1.0 and RFC 8414 metadata (one document serves both). */
  function metadata() {
    return {
      issuer: base,
      authorization_endpoint: `${base}/oauth2/authorize`,
      token_endpoint: `${base}/oauth2/token`,
      userinfo_endpoint: `${base}/oauth2/userinfo`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      revocation_endpoint: `${base}/oauth2/revoke`,
      introspection_endpoint: `${base}/auth/introspect`,
      end_session_endpoint: `${base}/oauth2/logout`,
      scopes_supported: [...SUPPORTED_SCOPES],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'acr', 'amr', 'azp', 'sid', 'preferred_username', 'name', 'locale', 'updated_at', 'email', 'email_verified'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [d.signingAlg()],
      acr_values_supported: [...ACR_VALUES],
      prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      authorization_response_iss_parameter_supported: true,
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
      frontchannel_logout_supported: false,
    };
  }

  return {
    clients, authorization, tokens, logout, consents, metadata,
    /** The hosted sign-in, coming back to the request's page afterwards. */
    // login_hint fills the sign-in page's identifier (the user may change it).
    signInPage: (handle: string, loginHint?: string | null) => `/ui/sign-in?redirectTo=${encodeURIComponent(`${base}/ui/oauth2/authorize?request=${handle}`)}${loginHint ? `&login_hint=${encodeURIComponent(loginHint)}` : ''}`,
    /** Deletes a client and ends the grants it holds. */
    removeClient: (clientId: string) => clients.remove(clientId, async (trx, id) => {
      for (const r of await liveGrantsOfClient(trx, id)) await d.sessions.revokeOneIn(trx, r.session_user_id, r.session_id, 'client_deleted');
    }),
    /** Hourly housekeeping: expired requests, and codes a day past their expiry (kept that long for reuse detection). */
    prune: () => repo.pruneExpired(d.db, new Date(d.clock.now() - 86_400_000)),
  };
}

export type OidcProvider = ReturnType<typeof createOidcProvider>;
