import { str, type ProviderAdapter } from './types.ts';

export const discord: ProviderAdapter<'discord'> = {
  kind: 'discord',
  displayName: 'Discord',
  oidc: false,
  pkce: true,
  scopes: ['identify', 'email'],
  endpoints: () => ({
    authorization: 'https://discord.com/oauth2/authorize',
    token: 'https://discord.com/api/oauth2/token',
    userinfo: 'https://discord.com/api/users/@me',
  }),
  async profile({ get, endpoints }) {
    const u = (await get(endpoints.userinfo!)) as Record<string, unknown>;
    const id = str(u.id);
    if (!id) throw new Error('Discord gave no user id');
    const avatar = str(u.avatar);
    return {
      id, email: str(u.email), emailVerified: u.verified === true && str(u.email) !== null,
      name: str(u.global_name) ?? str(u.username),
      avatarUrl: avatar ? `https://cdn.discordapp.com/avatars/${id}/${avatar}.png` : null,
      raw: u,
    };
  },
};
