import { oidcProfile, type ProviderAdapter } from './types.ts';

/** Any OpenID Connect issuer (Keycloak, Okta, Auth0, Authentik, ...), by discovery. */
export const oidc: ProviderAdapter<'oidc'> = {
  kind: 'oidc',
  displayName: 'OpenID Connect',
  oidc: true,
  pkce: true,
  scopes: ['openid', 'email', 'profile'],
  endpoints: (s) => ({ discover: s.issuer! }),
  profile: (input) => oidcProfile(input),
};
