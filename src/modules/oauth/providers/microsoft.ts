import { oidcProfile, type ProviderAdapter } from './types.ts';

export const microsoft: ProviderAdapter<'microsoft'> = {
  kind: 'microsoft',
  displayName: 'Microsoft',
  env: {
    settings: ['TENANT_ID'],
    read(from, s) {
      s.tenantId = from.get('TENANT_ID')?.trim() ?? 'common';
      if (!/^[A-Za-z0-9.-]{1,100}$/.test(s.tenantId)) from.problem(`${from.variable('TENANT_ID')}: expected common, organizations, consumers, a tenant id or a domain`);
    },
  },
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
