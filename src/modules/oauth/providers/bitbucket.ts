import { str, type ProviderAdapter } from './types.ts';

interface BitbucketEmail { email: string; is_primary: boolean; is_confirmed: boolean }

export const bitbucket: ProviderAdapter<'bitbucket'> = {
  kind: 'bitbucket',
  displayName: 'Bitbucket',
  oidc: false,
  pkce: false,
  scopes: ['account', 'email'],
  endpoints: () => ({
    authorization: 'https://bitbucket.org/site/oauth2/authorize',
    token: 'https://bitbucket.org/site/oauth2/access_token',
    userinfo: 'https://api.bitbucket.org/2.0/user',
  }),
  tokenAuth: 'client_secret_basic',
  async profile({ get, endpoints }) {
    const u = (await get(endpoints.userinfo!)) as Record<string, any>;
    const emails = (await get(`${endpoints.userinfo!}/emails`).catch(() => ({ values: [] }))) as { values?: BitbucketEmail[] };
    const primary = (emails.values ?? []).find((e) => e.is_primary && e.is_confirmed) ?? (emails.values ?? []).find((e) => e.is_confirmed);
    const id = str(u.uuid) ?? str(u.account_id);
    if (!id) throw new Error('Bitbucket gave no user id');
    return { id, email: primary?.email ?? null, emailVerified: primary !== undefined, name: str(u.display_name) ?? str(u.nickname), avatarUrl: str(u.links?.avatar?.href), raw: u };
  },
};
