// Each adapter's profile mapping, from payloads of the provider's documented shape: the
// stable id, the email and whether it counts as verified, the name and the avatar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OAuthProviderSettings } from '../../../core/config/index.ts';
import { ADAPTERS, type Endpoints, type Profile } from './index.ts';

async function profileOf(kind: keyof typeof ADAPTERS, pages: Record<string, unknown>, claims?: Record<string, unknown>, callback: Record<string, string> = {}): Promise<Profile> {
  const adapter = ADAPTERS[kind];
  const settings = { name: kind, kind, clientId: 'id', source: 'env' } as OAuthProviderSettings;
  const ep = adapter.endpoints(settings);
  const endpoints: Endpoints = 'discover' in ep ? { authorization: 'a', token: 't', userinfo: pages.userinfo ? 'userinfo' : undefined } : ep;
  const get = async (url: string) => {
    const key = Object.keys(pages).find((k) => url === k || url.endsWith(k) || (k === 'userinfo' && url === endpoints.userinfo));
    if (!key) throw new Error(`unexpected request ${url}`);
    return pages[key];
  };
  return adapter.profile({ claims, accessToken: 'x', get, settings, endpoints, callback });
}

test('every named provider has an adapter with endpoints and scopes', () => {
  for (const [kind, a] of Object.entries(ADAPTERS)) {
    assert.equal(a.kind, kind);
    assert.ok(a.scopes.length > 0, kind);
    const ep = a.endpoints({ name: kind, kind, clientId: 'x', source: 'env', issuer: 'https://issuer.example', tenantId: 'common' } as OAuthProviderSettings);
    assert.ok('discover' in ep ? ep.discover.startsWith('https://') : ep.authorization.startsWith('https://') && ep.token.startsWith('https://'), kind);
  }
});

test('OAuth 2 providers: id, email, verification, name, avatar', async () => {
  assert.deepEqual(pick(await profileOf('facebook', { 'me?fields=id,name,email,picture.type(large)': { id: '10', name: 'Fay', email: 'fay@fb.example', picture: { data: { url: 'https://p/10' } } } })),
    ['10', 'fay@fb.example', false, 'Fay', 'https://p/10']);
  assert.deepEqual(pick(await profileOf('twitter', { 'users/me?user.fields=profile_image_url,confirmed_email': { data: { id: '20', name: 'Xena', username: 'xena', profile_image_url: 'https://p/20', confirmed_email: 'xena@x.example' } } })),
    ['20', 'xena@x.example', true, 'Xena', 'https://p/20']);
  assert.deepEqual(pick(await profileOf('twitter', { 'users/me?user.fields=profile_image_url,confirmed_email': { data: { id: '21', username: 'noemail' } } })),
    ['21', null, false, 'noemail', null]);
  assert.deepEqual(pick(await profileOf('discord', { '@me': { id: '30', username: 'dee', global_name: 'Dee', email: 'dee@d.example', verified: true, avatar: 'abc' } })),
    ['30', 'dee@d.example', true, 'Dee', 'https://cdn.discordapp.com/avatars/30/abc.png']);
  assert.deepEqual(pick(await profileOf('discord', { '@me': { id: '31', username: 'unv', email: 'unv@d.example', verified: false, avatar: null } })),
    ['31', 'unv@d.example', false, 'unv', null]);
  assert.deepEqual(pick(await profileOf('bitbucket', {
    '2.0/user': { uuid: '{b-40}', display_name: 'Bea', links: { avatar: { href: 'https://p/40' } } },
    '2.0/user/emails': { values: [{ email: 'old@b.example', is_primary: false, is_confirmed: true }, { email: 'bea@b.example', is_primary: true, is_confirmed: true }] },
  })), ['{b-40}', 'bea@b.example', true, 'Bea', 'https://p/40']);
  assert.deepEqual(pick(await profileOf('spotify', { 'v1/me': { id: 'sp50', display_name: 'Spot', email: 'spot@s.example', images: [{ url: 'https://p/50' }] } })),
    ['sp50', 'spot@s.example', false, 'Spot', 'https://p/50']);
  assert.deepEqual(pick(await profileOf('github', {
    '/user': { id: 60, login: 'gh', name: null, avatar_url: 'https://p/60', email: 'public@gh.example' },
    '/user/emails': [{ email: 'public@gh.example', primary: true, verified: false }],
  })), ['60', 'public@gh.example', false, 'gh', 'https://p/60']);
});

test('OpenID providers: claims and userinfo; Microsoft needs xms_edov; Apple takes the first callback\'s name', async () => {
  for (const kind of ['linkedin', 'slack', 'twitch', 'gitlab', 'google', 'oidc'] as const) {
    const p = await profileOf(kind, { userinfo: { sub: 's1', email: 'a@b.example', email_verified: true, name: 'Ann', picture: 'https://p/s1' } }, { sub: 's1' });
    assert.deepEqual(pick(p), ['s1', 'a@b.example', true, 'Ann', 'https://p/s1'], kind);
  }
  await assert.rejects(profileOf('google', { userinfo: { sub: 'other' } }, { sub: 's1' }), /another subject/);
  assert.equal((await profileOf('microsoft', {}, { sub: 'm1', email: 'm@contoso.example' })).emailVerified, false, 'Entra email alone is not proof');
  assert.equal((await profileOf('microsoft', {}, { sub: 'm1', email: 'm@contoso.example', xms_edov: true })).emailVerified, true);
  const a = await profileOf('apple', {}, { sub: 'ap1', email: 'r@privaterelay.appleid.com', email_verified: 'true' }, { user: JSON.stringify({ name: { firstName: 'Ada', lastName: 'L' } }) });
  assert.deepEqual(pick(a), ['ap1', 'r@privaterelay.appleid.com', true, 'Ada L', null]);
  assert.equal((await profileOf('apple', {}, { sub: 'ap2' }, { user: 'not json' })).name, null);
});

function pick(p: Profile) {
  return [p.id, p.email, p.emailVerified, p.name, p.avatarUrl];
}
