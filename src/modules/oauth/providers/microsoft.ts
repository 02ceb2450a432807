import { oidcProfile, type ProviderAdapter } from './types.ts';

export const microsoft: ProviderAdapter = {
  kind: 'microsoft',
  displayName: 'Microsoft',
  oidc: true,
  pkce: true,
  scopes: ['openid', 'email', 'profile', 'offline_access'],
  // Entra ID's discovery; for `common`, `organizations` and `consumers` the ID token's
  // issuer names the user's tenant, which openid-client checks against `tid`.
  endpoints: (s) => ({ discover: `https://login.microsoftonline.com/${s.tenantId ?? 'common'}/v2.0` }),
  // Entra's `email` claim is not proof of ownership unless the domain is verified
  // (`xms_edov`); an issuer pointed elsewhere may say `email_verified`.
  profile: (input) => oidcProfile(input, { emailVerified: (c) => c.xms_edov === true || c.xms_edov === '1' || c.email_verified === true }),
};
