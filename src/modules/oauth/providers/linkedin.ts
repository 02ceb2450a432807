import { oidcProfile, type ProviderAdapter } from './types.ts';

export const linkedin: ProviderAdapter<'linkedin'> = {
  kind: 'linkedin',
  displayName: 'LinkedIn',
  oidc: true,
  pkce: false,
  scopes: ['openid', 'profile', 'email'],
  endpoints: () => ({
    issuer: 'https://www.linkedin.com/oauth',
    authorization: 'https://www.linkedin.com/oauth/v2/authorization',
    token: 'https://www.linkedin.com/oauth/v2/accessToken',
    userinfo: 'https://api.linkedin.com/v2/userinfo',
    jwks: 'https://www.linkedin.com/oauth/openid/jwks',
  }),
  profile: (input) => oidcProfile(input),
};
