import { oidcProfile, type ProviderAdapter } from './types.ts';

export const twitch: ProviderAdapter<'twitch'> = {
  kind: 'twitch',
  displayName: 'Twitch',
  oidc: true,
  pkce: false,
  scopes: ['openid', 'user:read:email'],
  endpoints: () => ({
    issuer: 'https://id.twitch.tv/oauth2',
    authorization: 'https://id.twitch.tv/oauth2/authorize',
    token: 'https://id.twitch.tv/oauth2/token',
    userinfo: 'https://id.twitch.tv/oauth2/userinfo',
    jwks: 'https://id.twitch.tv/oauth2/keys',
  }),
  // Twitch sends profile claims only when they are asked for by name.
  authParams: { claims: JSON.stringify({ id_token: { email: null, email_verified: null }, userinfo: { email: null, email_verified: null, picture: null, preferred_username: null } }) },
  profile: (input) => oidcProfile(input),
};
