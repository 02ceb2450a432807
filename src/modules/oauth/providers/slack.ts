import { oidcProfile, type ProviderAdapter } from './types.ts';

export const slack: ProviderAdapter<'slack'> = {
  kind: 'slack',
  displayName: 'Slack',
  oidc: true,
  pkce: false,
  scopes: ['openid', 'email', 'profile'],
  endpoints: () => ({
    issuer: 'https://slack.com',
    authorization: 'https://slack.com/openid/connect/authorize',
    token: 'https://slack.com/api/openid.connect.token',
    userinfo: 'https://slack.com/api/openid.connect.userInfo',
    jwks: 'https://slack.com/openid/connect/keys',
  }),
  profile: (input) => oidcProfile(input),
};
