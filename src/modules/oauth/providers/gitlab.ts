import { oidcProfile, type ProviderAdapter } from './types.ts';

export const gitlab: ProviderAdapter<'gitlab'> = {
  kind: 'gitlab',
  displayName: 'GitLab',
  env: { settings: ['URL'], read: (from, s) => { s.baseUrl = from.url('URL'); } },
  oidc: true,
  pkce: true,
  scopes: ['openid', 'profile', 'email'],
  // gitlab.com or a self-hosted instance (AUTH_OAUTH_GITLAB_URL), by discovery.
  endpoints: (s) => ({ discover: s.baseUrl ?? 'https://gitlab.com' }),
  profile: (input) => oidcProfile(input),
};
