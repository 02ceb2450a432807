import { str, type ProviderAdapter } from './types.ts';

export const twitter: ProviderAdapter<'twitter'> = {
  kind: 'twitter',
  displayName: 'X (Twitter)',
  oidc: false,
  pkce: true,
  scopes: ['users.read', 'tweet.read', 'users.email', 'offline.access'],
  endpoints: () => ({
    authorization: 'https://x.com/i/oauth2/authorize',
    token: 'https://api.x.com/2/oauth2/token',
    userinfo: 'https://api.x.com/2/users/me?user.fields=profile_image_url,confirmed_email',
  }),
  tokenAuth: 'client_secret_basic',
  async profile({ get, endpoints }) {
    const body = (await get(endpoints.userinfo!)) as { data?: Record<string, unknown> };
    const u = body.data ?? {};
    const id = str(u.id);
    if (!id) throw new Error('X gave no user id');
    const email = str(u.confirmed_email);
    return { id, email, emailVerified: email !== null, name: str(u.name) ?? str(u.username), avatarUrl: str(u.profile_image_url), raw: u };
  },
};
