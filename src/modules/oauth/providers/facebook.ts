import { str, type ProviderAdapter } from './types.ts';

export const facebook: ProviderAdapter<'facebook'> = {
  kind: 'facebook',
  displayName: 'Facebook',
  oidc: false,
  pkce: true,
  scopes: ['email', 'public_profile'],
  endpoints: () => ({
    authorization: 'https://www.facebook.com/v21.0/dialog/oauth',
    token: 'https://graph.facebook.com/v21.0/oauth/access_token',
    userinfo: 'https://graph.facebook.com/v21.0/me?fields=id,name,email,picture.type(large)',
  }),
  async profile({ get, endpoints }) {
    const u = (await get(endpoints.userinfo!)) as Record<string, any>;
    const id = str(u.id);
    if (!id) throw new Error('Facebook gave no user id');
    // Facebook does not say whether the address was confirmed: never enough to link.
    return { id, email: str(u.email), emailVerified: false, name: str(u.name), avatarUrl: str(u.picture?.data?.url), raw: u };
  },
};
