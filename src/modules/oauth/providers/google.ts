import { oidcProfile, type ProviderAdapter } from './types.ts';

export const google: ProviderAdapter<'google'> = {
  kind: 'google',
  displayName: 'Google',
  oidc: true,
  pkce: true,
  scopes: ['openid', 'email', 'profile'],
  endpoints: () => ({
    issuer: 'https://accounts.google.com',
    authorization: 'https://accounts.google.com/o/oauth2/v2/auth',
    token: 'https://oauth2.googleapis.com/token',
    userinfo: 'https://openidconnect.googleapis.com/v1/userinfo',
    jwks: 'https://www.googleapis.com/oauth2/v3/certs',
  }),
  // A refresh token for the vault.
  authParams: { access_type: 'offline' },
  profile: (input) => oidcProfile(input),
};
