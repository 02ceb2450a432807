import { createPrivateKey, sign } from 'node:crypto';
import { oidcProfile, type ProviderAdapter } from './types.ts';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export const apple: ProviderAdapter<'apple'> = {
  kind: 'apple',
  displayName: 'Apple',
  // No CLIENT_SECRET: the key below signs one at each use (clientSecret).
  env: {
    settings: ['TEAM_ID', 'KEY_ID', 'PRIVATE_KEY'],
    read(from, s) {
      const v = from.variable;
      s.teamId = from.get('TEAM_ID')?.trim();
      s.keyId = from.get('KEY_ID')?.trim();
      s.privateKey = from.get('PRIVATE_KEY')?.replace(/\\n/g, '\n');
      if (!s.teamId || !s.keyId || !s.privateKey) from.problem(`${v('TEAM_ID')}, ${v('KEY_ID')} and ${v('PRIVATE_KEY')}: all three are required with ${v('CLIENT_ID')} (they sign the client secret)`);
      else if (!s.privateKey.includes('BEGIN PRIVATE KEY')) from.problem(`${v('PRIVATE_KEY')}: expected the PKCS#8 PEM of the .p8 key (BEGIN PRIVATE KEY)`);
    },
  },
  oidc: true,
  pkce: false,
  scopes: ['name', 'email'],
  endpoints: () => ({
    issuer: 'https://appleid.apple.com',
    authorization: 'https://appleid.apple.com/auth/authorize',
    token: 'https://appleid.apple.com/auth/token',
    jwks: 'https://appleid.apple.com/auth/keys',
  }),
  // Requesting name or email makes Apple post the answer to the callback.
  responseMode: 'form_post',
  /** Apple's client secret: an ES256 JWT signed with the team's key, valid for an hour. */
  async clientSecret(s, now) {
    const header = b64({ alg: 'ES256', kid: s.keyId, typ: 'JWT' });
    const payload = b64({ iss: s.teamId, iat: now, exp: now + 3600, aud: 'https://appleid.apple.com', sub: s.clientId });
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key: createPrivateKey(s.privateKey ?? ''), dsaEncoding: 'ieee-p1363' });
    return `${header}.${payload}.${signature.toString('base64url')}`;
  },
  async profile(input) {
    const p = await oidcProfile(input);
    // The name comes once, in the first callback's `user` field, never in the token.
    if (!p.name && input.callback.user) {
      try {
        const u = JSON.parse(input.callback.user) as { name?: { firstName?: string; lastName?: string } };
        const name = [u.name?.firstName, u.name?.lastName].filter(Boolean).join(' ');
        if (name) p.name = name.slice(0, 200);
      } catch { /* not JSON: no name */ }
    }
    return p;
  },
};
