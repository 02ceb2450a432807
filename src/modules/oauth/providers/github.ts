import { str, type ProviderAdapter } from './types.ts';

interface GitHubEmail { email: string; primary: boolean; verified: boolean }

export const github: ProviderAdapter<'github'> = {
  kind: 'github',
  displayName: 'GitHub',
  env: { settings: ['API_URL'], read: (from, s) => { s.baseUrl = from.url('API_URL'); } },
  oidc: false,
  pkce: true,
  scopes: ['read:user', 'user:email'],
  endpoints: (s) => ({
    authorization: 'https://github.com/login/oauth/authorize',
    token: 'https://github.com/login/oauth/access_token',
    userinfo: `${s.baseUrl ?? 'https://api.github.com'}/user`,
  }),
  async profile({ get, endpoints }) {
    const headers = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };
    const user = (await get(endpoints.userinfo!, headers)) as Record<string, unknown>;
    // The profile's email is optional and says nothing of verification: ask the emails API.
    const emails = (await get(`${endpoints.userinfo!}/emails`, headers).catch(() => [])) as GitHubEmail[];
    const primary = Array.isArray(emails) ? emails.find((e) => e.primary && e.verified) ?? emails.find((e) => e.verified) : undefined;
    const id = str(user.id);
    if (!id) throw new Error('GitHub gave no user id');
    return {
      id,
      email: primary?.email ?? str(user.email),
      emailVerified: primary !== undefined,
      name: str(user.name) ?? str(user.login),
      avatarUrl: str(user.avatar_url),
      raw: user,
    };
  },
};
