import { str, type ProviderAdapter } from './types.ts';

export const spotify: ProviderAdapter<'spotify'> = {
  kind: 'spotify',
  displayName: 'Spotify',
  oidc: false,
  pkce: true,
  scopes: ['user-read-email', 'user-read-private'],
  endpoints: () => ({
    authorization: 'https://accounts.spotify.com/authorize',
    token: 'https://accounts.spotify.com/api/token',
    userinfo: 'https://api.spotify.com/v1/me',
  }),
  tokenAuth: 'client_secret_basic',
  async profile({ get, endpoints }) {
    const u = (await get(endpoints.userinfo!)) as Record<string, any>;
    const id = str(u.id);
    if (!id) throw new Error('Spotify gave no user id');
    // Spotify does not say whether the address was confirmed.
    return { id, email: str(u.email), emailVerified: false, name: str(u.display_name), avatarUrl: str(u.images?.[0]?.url), raw: u };
  },
};
