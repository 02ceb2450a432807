// Social sign-in against a real OpenID Provider in process (oidc-provider, its login and
// consent forms submitted by a cookie-jar browser): a generic OIDC issuer by discovery,
// the Google, Microsoft and Apple adapters pointed at it (Apple's signed client secret
// checked by a stand-in token endpoint, its form_post answer), GitHub against a local
// server of GitHub's shape. Sign-up and sign-in, linking rules, unlinking, state
// tampering and replay, PKCE mismatch, email collision, MFA after OAuth, native code
// exchange, the sealed vault, and the refresh worker with its retries and a two-instance
// race, on a manual clock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidcClient from 'openid-client';
import { generate } from 'otplib';
import { ManualClock } from '../src/core/clock.ts';
import { AUDIT_EVENT_TYPES } from '../src/modules/audit/audit.catalogue.ts';
import { Agent } from './helpers/agent.ts';
import { testDbMode } from './helpers/db.ts';
import { bearer, createTestApp, json, login, register, uniqueCredentials, type TestApp } from './helpers/app.ts';
import { startAppleToken, startGitHub, startOP, type FakeAppleToken, type FakeGitHub, type TestOP } from './helpers/op.ts';

const APP = 'http://app.test';
let op: TestOP;
let gh: FakeGitHub;
let apple: FakeAppleToken;
let t: TestApp;
let base = '';
let nativeRedirect = '';
const clock = new ManualClock(Date.now());
let adminCreds: { email: string; password: string };

const isApp = (u: string) => u.startsWith(APP);

async function startFlow(provider: string, opts: { login?: string; agent?: Agent; extra?: Record<string, string>; query?: string } = {}) {
  const agent = opts.agent ?? new Agent();
  const final = new URL(await agent.follow(`${base}/auth/oauth/${provider}${opts.query ?? ''}`, isApp, { ...(opts.login ? { login: opts.login } : {}), ...(opts.extra ? { extra: opts.extra } : {}) }));
  return { agent, final, params: Object.fromEntries(final.searchParams) };
}

/** The access token of the session the browser's refresh cookie holds. */
async function accessTokenOf(agent: Agent): Promise<string> {
  const cookie = agent.cookies(base).get('refresh_token');
  assert.ok(cookie, 'the callback set the refresh cookie');
  const res = await agent.request(`${base}/auth/refresh`, { method: 'POST', headers: { origin: base, accept: 'application/json' } });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { accessToken: string }).accessToken;
}

async function me(token: string) {
  return json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) }));
}

before(async () => {
  // The provider-side servers take their ports first, then Tessera takes a free one.
  const opPort = await (async () => {
    const { createServer } = await import('node:http');
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    return { srv, port: (srv.address() as { port: number }).port };
  })();
  const port = opPort.port;
  base = `http://127.0.0.1:${port}`;
  nativeRedirect = `${base}/native-callback`;
  const cb = (p: string) => [`${base}/auth/oauth/${p}/callback`];
  op = await startOP([
    { client_id: 'corp-client', client_secret: 'corp-secret', redirect_uris: cb('corp') },
    { client_id: 'google-client', client_secret: 'google-secret', redirect_uris: [...cb('google'), nativeRedirect] },
    { client_id: 'microsoft-client', client_secret: 'microsoft-secret', redirect_uris: cb('microsoft') },
    { client_id: 'apple-client', client_secret: 'apple-op-secret', redirect_uris: cb('apple') },
  ]);
  gh = await startGitHub({ id: 'github-client', secret: 'github-secret' });
  apple = await startAppleToken(op, 'apple-client', 'apple-op-secret');
  t = await createTestApp({
    clock,
    env: {
      AUTH_PUBLIC_URL: base, AUTH_CLIENT_URL: APP, AUTH_REDIRECT_ALLOWLIST: `${APP}/after,${nativeRedirect}`, AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false',
      AUTH_OIDC_PROVIDERS: 'corp', AUTH_OIDC_CORP_ISSUER: op.issuer, AUTH_OIDC_CORP_CLIENT_ID: 'corp-client', AUTH_OIDC_CORP_CLIENT_SECRET: 'corp-secret', AUTH_OIDC_CORP_DISPLAY_NAME: 'Corp SSO',
      AUTH_OAUTH_GOOGLE_CLIENT_ID: 'google-client', AUTH_OAUTH_GOOGLE_CLIENT_SECRET: 'google-secret', AUTH_OAUTH_GOOGLE_ISSUER: op.issuer,
      AUTH_OAUTH_MICROSOFT_CLIENT_ID: 'microsoft-client', AUTH_OAUTH_MICROSOFT_CLIENT_SECRET: 'microsoft-secret', AUTH_OAUTH_MICROSOFT_ISSUER: op.issuer, AUTH_OAUTH_MICROSOFT_TENANT_ID: 'contoso.example',
      AUTH_OAUTH_APPLE_CLIENT_ID: 'apple-client', AUTH_OAUTH_APPLE_TEAM_ID: apple.teamId, AUTH_OAUTH_APPLE_KEY_ID: apple.keyId, AUTH_OAUTH_APPLE_PRIVATE_KEY: apple.privateKey,
      AUTH_OAUTH_APPLE_ISSUER: op.issuer, AUTH_OAUTH_APPLE_TOKEN_URL: apple.url,
      // Apple implies openid; a standard OpenID Provider wants it said.
      AUTH_OAUTH_APPLE_SCOPES: 'openid email',
      AUTH_OAUTH_GITHUB_CLIENT_ID: 'github-client', AUTH_OAUTH_GITHUB_CLIENT_SECRET: 'github-secret',
      AUTH_OAUTH_GITHUB_AUTHORIZATION_URL: `${gh.url}/login/oauth/authorize`, AUTH_OAUTH_GITHUB_TOKEN_URL: `${gh.url}/login/oauth/access_token`, AUTH_OAUTH_GITHUB_API_URL: gh.url,
    },
  });
  await t.deps.oauthVault.worker.stop();
  // The first account is the administrator.
  adminCreds = (await register(t.app, uniqueCredentials('oauthadmin'))).creds;
  // Tessera's port was held until now so that no other server took it.
  await new Promise((r) => opPort.srv.close(r));
  await t.app.listen({ port, host: '127.0.0.1' });
});

after(async () => {
  await t?.close();
  await op?.close();
  await gh?.close();
  await apple?.close();
});

describe('social sign-in: the browser flow', () => {
  test('generic OIDC by discovery: sign-up, then sign-in to the same user; providers listed', async () => {
    op.accounts.set('corp-ada', { email: 'ada@corp.example', email_verified: true, name: 'Ada Lovelace', picture: 'https://img.example/ada.png' });
    const listed = json(await t.app.inject({ method: 'GET', url: '/auth/oauth/providers' })).providers as { name: string; displayName: string }[];
    assert.deepEqual(listed.map((p) => p.name).sort(), ['apple', 'corp', 'github', 'google', 'microsoft']);
    assert.equal(listed.find((p) => p.name === 'corp')!.displayName, 'Corp SSO');

    const first = await startFlow('corp', { login: 'corp-ada', query: `?redirectTo=${encodeURIComponent(`${APP}/after`)}` });
    assert.equal(first.final.href, `${APP}/after`);
    const token = await accessTokenOf(first.agent);
    const user = await me(token);
    assert.equal(user.email, 'ada@corp.example');
    assert.equal(user.emailVerified, true);
    const ids = json(await t.app.inject({ method: 'GET', url: '/auth/identities', headers: bearer(token) })).identities;
    assert.equal(ids.length, 1);
    assert.deepEqual([ids[0].provider, ids[0].name, ids[0].avatarUrl, ids[0].emailVerified], ['corp', 'Ada Lovelace', 'https://img.example/ada.png', true]);
    // The hops: Tessera, the provider (login and consent), Tessera's callback, the app.
    assert.ok(first.agent.hops.some((h) => h.url.startsWith(op.issuer)));
    assert.ok(first.agent.hops.some((h) => h.url.startsWith(`${base}/auth/oauth/corp/callback`)));

    const again = await startFlow('corp', { login: 'corp-ada' });
    assert.equal(again.final.href, `${APP}/`);
    assert.equal((await me(await accessTokenOf(again.agent))).id, user.id, 'the same user');
    const amr = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).amr;
    assert.deepEqual(amr, ['oauth']);
  });

  test('Google, Microsoft and Apple adapters against the OpenID Provider; Apple posts its answer and its client secret is a signed JWT', async () => {
    op.accounts.set('g-grace', { email: 'grace@gmail.example', email_verified: true, name: 'Grace Hopper', picture: 'https://img.example/grace.png' });
    const g = await startFlow('google', { login: 'g-grace' });
    const gUser = await me(await accessTokenOf(g.agent));
    assert.equal(gUser.email, 'grace@gmail.example');
    // Google is asked for a refresh token (access_type=offline) with PKCE and a nonce.
    const auth = new URL(g.agent.hops.find((h) => h.url.startsWith(`${base}/auth/oauth/google?`) || h.url === `${base}/auth/oauth/google`)!.location!);
    assert.equal(auth.searchParams.get('access_type'), 'offline');
    assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(auth.searchParams.get('nonce'));

    op.accounts.set('ms-alan', { email: 'alan@contoso.example', email_verified: true, name: 'Alan Turing' });
    const m = await startFlow('microsoft', { login: 'ms-alan' });
    assert.equal((await me(await accessTokenOf(m.agent))).email, 'alan@contoso.example');

    op.accounts.set('apple-kat', { email: 'kat@privaterelay.example', email_verified: true });
    const checked = apple.checked;
    const a = await startFlow('apple', { login: 'apple-kat', extra: { user: JSON.stringify({ name: { firstName: 'Katherine', lastName: 'Johnson' } }) } });
    assert.equal(apple.checked, checked + 1, "the token request carried Apple's signed client secret");
    const aToken = await accessTokenOf(a.agent);
    assert.equal((await me(aToken)).email, 'kat@privaterelay.example');
    const aIds = json(await t.app.inject({ method: 'GET', url: '/auth/identities', headers: bearer(aToken) })).identities;
    assert.equal(aIds[0].name, 'Katherine Johnson', 'the name from the first form_post');
    const startHop = a.agent.hops.find((h) => h.url.startsWith(`${base}/auth/oauth/apple`))!;
    assert.equal(new URL(startHop.location!).searchParams.get('response_mode'), 'form_post');
    assert.ok(a.agent.hops.some((h) => h.url === `${base}/auth/oauth/apple/callback`), 'the answer came as a POST to the callback');
  });

  test('GitHub: the verified primary address from the emails API; none verified and none public means no account', async () => {
    gh.users.set('octo', { user: { id: 583231, login: 'octocat', name: 'The Octocat', avatar_url: 'https://avatars.example/583231', email: null }, emails: [{ email: 'octo@old.example', primary: false, verified: false }, { email: 'octo@github.example', primary: true, verified: true }] });
    gh.nextLogin = 'octo';
    const r = await startFlow('github');
    const token = await accessTokenOf(r.agent);
    assert.equal((await me(token)).email, 'octo@github.example');
    const ids = json(await t.app.inject({ method: 'GET', url: '/auth/identities', headers: bearer(token) })).identities;
    assert.deepEqual([ids[0].provider, ids[0].name, ids[0].emailVerified], ['github', 'The Octocat', true]);

    gh.users.set('ghost', { user: { id: 1, login: 'ghost', name: null, avatar_url: null, email: null }, emails: [{ email: 'ghost@x.example', primary: true, verified: false }] });
    gh.nextLogin = 'ghost';
    const none = await startFlow('github');
    assert.equal(none.params.error, 'oauth_email_required');
    assert.equal(none.agent.cookies(base).get('refresh_token'), undefined);
  });

  test('an existing account: linked when both sides verified the address, refused otherwise', async () => {
    // Verified on both sides: the identity joins the account.
    const { creds, user } = await register(t.app, uniqueCredentials('linkme'));
    await t.deps.db.updateTable('users').set({ email_verified: true }).where('id', '=', user.id).execute();
    await t.deps.users.changed(user.id);
    op.accounts.set('corp-linkme', { email: creds.email, email_verified: true, name: 'Link Me' });
    const linked = await startFlow('corp', { login: 'corp-linkme' });
    assert.equal((await me(await accessTokenOf(linked.agent))).id, user.id);
    const audit = await t.deps.db.selectFrom('audit_log').select(['type', 'details']).where('subject_user_id', '=', user.id).where('type', '=', 'oauth.identity_linked').execute();
    assert.equal(audit.length, 1);

    // The account's address is not verified: refused, nothing linked.
    const other = await register(t.app, uniqueCredentials('unverified'));
    op.accounts.set('corp-unverified', { email: other.creds.email, email_verified: true });
    const refused = await startFlow('corp', { login: 'corp-unverified' });
    assert.equal(refused.params.error, 'account_exists_link_required');
    // The provider does not vouch for the address: refused too.
    const third = await register(t.app, uniqueCredentials('notvouched'));
    await t.deps.db.updateTable('users').set({ email_verified: true }).where('id', '=', third.user.id).execute();
    await t.deps.users.changed(third.user.id);
    op.accounts.set('corp-notvouched', { email: third.creds.email, email_verified: false });
    assert.equal((await startFlow('corp', { login: 'corp-notvouched' })).params.error, 'account_exists_link_required');
    assert.equal((await t.deps.db.selectFrom('user_identities').select('id').where('user_id', 'in', [other.user.id, third.user.id]).execute()).length, 0);
  });

  test('a signed-in user links providers; one identity per provider and per user; unlinking the last way in is refused', async () => {
    op.accounts.set('g-solo', { email: 'solo@gmail.example', email_verified: true });
    const solo = await startFlow('google', { login: 'g-solo' });
    const token = await accessTokenOf(solo.agent);
    // The OAuth-only account cannot drop its only way in.
    const last = await t.app.inject({ method: 'DELETE', url: '/auth/identities/google', headers: bearer(token) });
    assert.equal(last.statusCode, 409);
    assert.equal(json(last).code, 'last_sign_in_method');

    // Linking needs a bearer token; with Accept: application/json the start answers the URL.
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/oauth/github?link=true', headers: { accept: 'application/json' } })).statusCode, 401);
    gh.users.set('solo-gh', { user: { id: 777, login: 'solo', name: 'Solo', avatar_url: null, email: null }, emails: [{ email: 'solo@elsewhere.example', primary: true, verified: true }] });
    gh.nextLogin = 'solo-gh';
    const agent = solo.agent;
    const startRes = await agent.request(`${base}/auth/oauth/github?link=true&redirectTo=${encodeURIComponent(`${APP}/after`)}`, { headers: { accept: 'application/json', authorization: `Bearer ${token}` } });
    assert.equal(startRes.status, 200);
    const { url } = (await startRes.json()) as { url: string };
    const done = new URL(await agent.follow(url, isApp));
    assert.equal(done.searchParams.get('linked'), 'github');
    const ids = json(await t.app.inject({ method: 'GET', url: '/auth/identities', headers: bearer(token) })).identities as { provider: string }[];
    assert.deepEqual(ids.map((i) => i.provider).sort(), ['github', 'google']);

    // That GitHub account now belongs to this user: another user cannot link it.
    const other = await login(t.app, (await register(t.app, uniqueCredentials('grabber'))).creds, 'native');
    const grab = await agent.request(`${base}/auth/oauth/github?link=true`, { headers: { accept: 'application/json', authorization: `Bearer ${other.accessToken}` } });
    const grabbed = new URL(await agent.follow(((await grab.json()) as { url: string }).url, isApp));
    assert.equal(grabbed.searchParams.get('error'), 'identity_already_linked');
    // A second Google account cannot join a user who has one.
    op.accounts.set('g-solo-2', { email: 'solo2@gmail.example', email_verified: true });
    const second = await agent.request(`${base}/auth/oauth/google?link=true`, { headers: { accept: 'application/json', authorization: `Bearer ${token}` } });
    agent.jar.delete(new URL(op.issuer).host); // signed out at the provider, to sign in as someone else
    const secondDone = new URL(await agent.follow(((await second.json()) as { url: string }).url, isApp, { login: 'g-solo-2' }));
    assert.equal(secondDone.searchParams.get('error'), 'provider_already_linked');

    // With GitHub linked, Google can go; then GitHub is the last one.
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/auth/identities/google', headers: bearer(token) })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/auth/identities/github', headers: bearer(token) })).statusCode, 409);
    assert.equal(json(await t.app.inject({ method: 'DELETE', url: '/auth/identities/google', headers: bearer(token) })).code, 'identity_not_found');
  });

  test('state: tampered, replayed, from another browser, expired, and provider errors all end in a coded redirect, never a session', async () => {
    op.accounts.set('corp-state', { email: 'state@corp.example', email_verified: true });
    const agent = new Agent();
    // Stop at Tessera's callback to hold the provider's answer.
    const atCallback = (u: string) => u.startsWith(`${base}/auth/oauth/corp/callback`);
    const callback = await agent.follow(`${base}/auth/oauth/corp`, atCallback, { login: 'corp-state' });
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${tampered.searchParams.get('state')!.slice(0, -2)}xx`);
    const r1 = await agent.request(tampered.href);
    assert.equal(new URL(r1.headers.get('location')!).searchParams.get('error'), 'oauth_state_invalid');
    // Another browser (no binding cookie) presenting the real answer: refused, and the state is spent.
    const stolen = await new Agent().request(callback);
    assert.equal(new URL(stolen.headers.get('location')!).searchParams.get('error'), 'oauth_state_invalid');
    const replay = await agent.request(callback);
    assert.equal(new URL(replay.headers.get('location')!).searchParams.get('error'), 'oauth_state_invalid');
    assert.equal(agent.cookies(base).get('refresh_token'), undefined, 'no session from any of them');

    // A valid answer used once, then replayed.
    const cb2 = await agent.follow(`${base}/auth/oauth/corp`, atCallback, { login: 'corp-state' });
    const ok = await agent.request(cb2);
    assert.equal(ok.headers.get('location'), APP);
    const again = await agent.request(cb2);
    assert.equal(new URL(again.headers.get('location')!).searchParams.get('error'), 'oauth_state_invalid');

    // Older than 10 minutes.
    const cb3 = await agent.follow(`${base}/auth/oauth/corp`, atCallback, { login: 'corp-state' });
    clock.advance(11 * 60_000);
    const late = await agent.request(cb3);
    assert.equal(new URL(late.headers.get('location')!).searchParams.get('error'), 'oauth_state_invalid');

    // The provider says no (the user refused): its error, coded, at the state's redirect.
    const start = await agent.request(`${base}/auth/oauth/corp?redirectTo=${encodeURIComponent(`${APP}/after`)}`);
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const denied = await agent.request(`${base}/auth/oauth/corp/callback?error=access_denied&error_description=User+said+no&state=${state}`);
    const deniedAt = new URL(denied.headers.get('location')!);
    assert.equal(deniedAt.origin + deniedAt.pathname, `${APP}/after`);
    assert.equal(deniedAt.searchParams.get('error'), 'oauth_provider_error');
    // JSON when asked; an unknown provider is a 404; a bad redirectTo a 400.
    const asJson = await t.app.inject({ method: 'GET', url: `/auth/oauth/corp/callback?state=nope&code=x`, headers: { accept: 'application/json' } });
    assert.deepEqual([asJson.statusCode, json(asJson).code], [400, 'oauth_state_invalid']);
    assert.deepEqual([(await t.app.inject({ method: 'GET', url: '/auth/oauth/nosuch' })).statusCode], [404]);
    const badRedirect = await t.app.inject({ method: 'GET', url: '/auth/oauth/corp?redirectTo=https%3A%2F%2Fevil.example', headers: { accept: 'application/json' } });
    assert.deepEqual([badRedirect.statusCode, json(badRedirect).code], [400, 'redirect_not_allowed']);
  });

  test('MFA after OAuth: the redirect carries the challenge; its answer signs in', async () => {
    op.accounts.set('corp-mfa', { email: 'mfa@corp.example', email_verified: true });
    const first = await startFlow('corp', { login: 'corp-mfa' });
    const token = await accessTokenOf(first.agent);
    const setup = json(await t.app.inject({ method: 'POST', url: '/auth/mfa/totp/setup', headers: bearer(token), payload: {} }));
    const code = await generate({ secret: setup.secret, epoch: Math.floor(clock.now() / 1000) });
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/mfa/totp/verify', headers: bearer(token), payload: { code } })).statusCode, 200);

    const second = await startFlow('corp', { login: 'corp-mfa' });
    assert.equal(second.params.error, 'mfa_required');
    assert.ok(second.params.verification_id);
    assert.match(second.params.methods ?? '', /totp/);
    assert.equal(second.agent.cookies(base).get('refresh_token'), undefined, 'no session before the second factor');
    const done = await t.app.inject({
      method: 'POST', url: '/auth/login/mfa',
      payload: { verification_id: second.params.verification_id, method: 'totp', code: await generate({ secret: setup.secret, epoch: Math.floor(clock.now() / 1000) + 30 }) },
    });
    assert.equal(done.statusCode, 200, done.body);
    const amr = JSON.parse(Buffer.from(json(done).accessToken.split('.')[1], 'base64url').toString()).amr;
    assert.deepEqual(amr, ['oauth', 'otp']);
  });
});

describe('social sign-in: native apps', () => {
  test('the app gets its authorization URL and a state bound to its PKCE challenge; Tessera exchanges its code; a wrong verifier or a spent state is refused', async () => {
    op.accounts.set('g-native', { email: 'native@gmail.example', email_verified: true });
    // The attacks on this flow are in test/oauth.native.security.test.ts.
    const authorize = async () => {
      const verifier = oidcClient.randomPKCECodeVerifier();
      const start = await t.app.inject({ method: 'POST', url: '/auth/oauth/google/authorize', payload: { redirectUri: nativeRedirect, codeChallenge: await oidcClient.calculatePKCECodeChallenge(verifier) } });
      assert.equal(start.statusCode, 200, start.body);
      const { url, state } = json(start) as { url: string; state: string };
      const back = new URL(await new Agent().follow(url, (u) => u.startsWith(nativeRedirect), { login: 'g-native' }));
      assert.equal(back.searchParams.get('state'), state);
      return { code: back.searchParams.get('code')!, state, verifier };
    };
    const a = await authorize();
    const wrong = await t.app.inject({ method: 'POST', url: '/auth/oauth/google/token', payload: { code: a.code, state: a.state, codeVerifier: oidcClient.randomPKCECodeVerifier(), redirectUri: nativeRedirect } });
    assert.deepEqual([wrong.statusCode, json(wrong).code], [400, 'oauth_code_invalid'], wrong.body);

    const b = await authorize();
    const ok = await t.app.inject({ method: 'POST', url: '/auth/oauth/google/token', payload: { code: b.code, state: b.state, codeVerifier: b.verifier, redirectUri: nativeRedirect } });
    assert.equal(ok.statusCode, 200, ok.body);
    const body = json(ok);
    assert.ok(body.accessToken && body.refreshToken, 'tokens in the body');
    assert.equal(body.user.email, 'native@gmail.example');
    const reused = await t.app.inject({ method: 'POST', url: '/auth/oauth/google/token', payload: { code: b.code, state: b.state, codeVerifier: b.verifier, redirectUri: nativeRedirect } });
    assert.deepEqual([reused.statusCode, json(reused).code], [400, 'oauth_state_invalid']);
    const notAllowed = await t.app.inject({ method: 'POST', url: '/auth/oauth/google/token', payload: { code: 'x', state: b.state, codeVerifier: b.verifier, redirectUri: 'https://evil.example/cb' } });
    assert.deepEqual([notAllowed.statusCode, json(notAllowed).code], [400, 'redirect_not_allowed']);
  });
});

describe('social sign-in: the provider-token vault', () => {
  /** A fresh Google identity; returns the user's access token and the identity row's id. */
  async function googleUser(login: string) {
    op.accounts.set(login, { email: `${login}@gmail.example`, email_verified: true });
    const r = await startFlow('google', { login });
    const token = await accessTokenOf(r.agent);
    const row = await t.deps.db.selectFrom('user_identities').selectAll().where('provider', '=', 'google').where('provider_user_id', '=', login).executeTakeFirstOrThrow();
    return { token, row, agent: r.agent };
  }

  test('tokens are sealed at rest; the owner gets a working provider token', async () => {
    const { token, row } = await googleUser('vault-one');
    const res = await t.app.inject({ method: 'GET', url: '/auth/identities/google/token', headers: bearer(token) });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const provider = json(res);
    assert.ok(provider.accessToken.length > 10);
    // The token works at the provider.
    const info = await fetch(`${op.issuer}/me`, { headers: { authorization: `Bearer ${provider.accessToken}` } });
    assert.equal(info.status, 200);
    assert.equal(((await info.json()) as { sub: string }).sub, 'vault-one');
    // Nothing in the row holds a token in clear.
    const dump = JSON.stringify(row);
    assert.ok(!dump.includes(provider.accessToken), 'no plaintext access token in the database');
    for (const col of ['access_token_encrypted', 'refresh_token_encrypted', 'id_token_encrypted'] as const) assert.match(String(row[col]), /^v1\.[\w-]+\./, `${col} is sealed`);
    assert.ok(row.refresh_due_at, 'a refresh is scheduled');
    assert.equal(row.refresh_due_at!.getTime(), row.access_token_expires_at!.getTime() - 5 * 60_000, '5 minutes before expiry');
    // A sealed token moved to another identity does not open.
    const { row: other } = await googleUser('vault-two');
    await t.deps.db.updateTable('user_identities').set({ access_token_encrypted: row.access_token_encrypted }).where('id', '=', other.id).execute();
    await assert.rejects(t.deps.oauthVault.accessToken(t.deps.db, { ...other, access_token_encrypted: row.access_token_encrypted }));
  });

  test('the worker refreshes due tokens (rotated refresh token replaced), retries with backoff, then asks for re-consent', async () => {
    const { row, agent } = await googleUser('vault-refresh');
    // Only this identity may come due (the others of this file are taken out of the schedule).
    await t.deps.db.updateTable('user_identities').set({ refresh_due_at: null }).where('id', '!=', row.id).execute();
    assert.equal(await t.deps.oauthVault.runOnce(), 0, 'nothing due yet');
    clock.set(row.refresh_due_at!.getTime() + 1000);
    const before = op.grants.refresh_token ?? 0;
    assert.ok((await t.deps.oauthVault.runOnce()) >= 1);
    assert.equal((op.grants.refresh_token ?? 0) - before, 1, 'one refresh at the provider');
    const after = await t.deps.db.selectFrom('user_identities').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    assert.notEqual(after.access_token_encrypted, row.access_token_encrypted);
    assert.notEqual(after.refresh_token_encrypted, row.refresh_token_encrypted, 'the rotated refresh token replaced the old one');
    assert.ok(after.refresh_due_at! > row.refresh_due_at!);
    assert.equal(after.refresh_attempts, 0);

    // The provider fails: 1, 5 and 15 minutes later, then re-consent.
    op.failRefresh = true;
    try {
      clock.set(after.refresh_due_at!.getTime() + 1000);
      const delays = [60, 300, 900];
      for (let attempt = 1; attempt <= 4; attempt++) {
        await t.deps.oauthVault.runOnce();
        const r = await t.deps.db.selectFrom('user_identities').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
        assert.equal(r.refresh_attempts, attempt);
        assert.match(r.last_refresh_error ?? '', /temporarily_unavailable|503/);
        if (attempt < 4) {
          assert.equal(r.refresh_due_at!.getTime(), clock.now() + delays[attempt - 1]! * 1000, `retry ${attempt} after ${delays[attempt - 1]} s`);
          assert.equal(r.needs_reconsent, false);
          clock.advance(delays[attempt - 1]! * 1000 + 1000);
        } else {
          assert.equal(r.needs_reconsent, true);
          assert.equal(r.refresh_due_at, null);
        }
      }
    } finally {
      op.failRefresh = false;
    }
    // The session outlived the clock's jumps; its access token did not.
    const token = await accessTokenOf(agent);
    const reconsent = await t.app.inject({ method: 'GET', url: '/auth/identities/google/token', headers: bearer(token) });
    assert.deepEqual([reconsent.statusCode, json(reconsent).code], [409, 'oauth_reconsent_required']);
    const listed = json(await t.app.inject({ method: 'GET', url: '/auth/identities', headers: bearer(token) })).identities;
    assert.equal(listed[0].needsReconsent, true);
    assert.equal((await t.deps.db.selectFrom('audit_log').select('id').where('type', '=', 'oauth.reconsent_required').where('subject_user_id', '=', row.user_id).execute()).length, 1);
    // Signing in with the provider again restores the vault.
    await startFlow('google', { login: 'vault-refresh' });
    const restored = await t.deps.db.selectFrom('user_identities').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    assert.equal(restored.needs_reconsent, false);
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/identities/google/token', headers: bearer(token) })).statusCode, 200);
  });

  test('on demand: an expired provider token is refreshed when its owner asks', async () => {
    const { token, row } = await googleUser('vault-demand');
    await t.deps.db.updateTable('user_identities').set({ access_token_expires_at: new Date(clock.now() - 1000) }).where('id', '=', row.id).execute();
    const before = op.grants.refresh_token ?? 0;
    const res = await t.app.inject({ method: 'GET', url: '/auth/identities/google/token', headers: bearer(token) });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal((op.grants.refresh_token ?? 0) - before, 1, 'refreshed at the provider');
    const after = await t.deps.db.selectFrom('user_identities').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    assert.ok(after.access_token_expires_at!.getTime() > clock.now() + 60_000);
    const info = await fetch(`${op.issuer}/me`, { headers: { authorization: `Bearer ${json(res).accessToken}` } });
    assert.equal(info.status, 200);
  });

  test('two instances on one database: a due token is refreshed once', async () => {
    const { row } = await googleUser('vault-race');
    // Only this identity may come due.
    await t.deps.db.updateTable('user_identities').set({ refresh_due_at: null }).where('id', '!=', row.id).execute();
    // PostgreSQL: a second app on the same database. PGlite has one connection per data
    // directory, so there the second worker is another pass of the same vault.
    const second = testDbMode() === 'postgres'
      ? await createTestApp({ clock, database: t.database, env: { AUTH_PUBLIC_URL: base, AUTH_CLIENT_URL: APP, AUTH_OAUTH_GOOGLE_CLIENT_ID: 'google-client', AUTH_OAUTH_GOOGLE_CLIENT_SECRET: 'google-secret', AUTH_OAUTH_GOOGLE_ISSUER: op.issuer } })
      : undefined;
    try {
      await second?.deps.oauthVault.worker.stop();
      clock.set(row.refresh_due_at!.getTime() + 1000);
      const before = op.grants.refresh_token ?? 0;
      const [a, b] = await Promise.all([t.deps.oauthVault.runOnce(), (second ?? t).deps.oauthVault.runOnce()]);
      assert.equal(a + b, 1, 'one of them took it');
      assert.equal((op.grants.refresh_token ?? 0) - before, 1, 'one refresh at the provider');
      const after = await t.deps.db.selectFrom('user_identities').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
      assert.equal(after.refresh_attempts, 0);
      assert.equal(after.refresh_locked_until, null);
    } finally {
      await second?.close();
    }
  });
});

describe('social sign-in: administration', () => {
  test('providers stored in the database (sealed secret), identities listed and merged', async () => {
    const admin = await login(t.app, adminCreds, 'native');
    const h = bearer(admin.accessToken);
    const put = await t.app.inject({ method: 'PUT', url: '/admin/oauth/providers/partner', headers: h, payload: { kind: 'oidc', clientId: 'corp-client', clientSecret: 'corp-secret', issuer: op.issuer, displayName: 'Partner' } });
    assert.equal(put.statusCode, 200, put.body);
    const stored = await t.deps.db.selectFrom('oauth_providers').selectAll().where('name', '=', 'partner').executeTakeFirstOrThrow();
    assert.ok(!JSON.stringify(stored).includes('corp-secret'), 'the secret is sealed');
    const listed = await t.app.inject({ method: 'GET', url: '/admin/oauth/providers', headers: h });
    assert.ok(!listed.body.includes('corp-secret'), 'the secret is never shown');
    const providers = json(listed).providers as { name: string; source: string; callbackUrl: string }[];
    assert.deepEqual(providers.find((p) => p.name === 'partner'), {
      name: 'partner', kind: 'oidc', displayName: 'Partner', source: 'database', enabled: true, callbackUrl: `${base}/auth/oauth/partner/callback`,
      clientId: 'corp-client', scopes: null, settings: { issuer: op.issuer }, clientSecretSet: true, privateKeySet: false,
    });
    assert.equal(json(await t.app.inject({ method: 'PUT', url: '/admin/oauth/providers/google', headers: h, payload: { kind: 'google', clientId: 'x', clientSecret: 'y' } })).code, 'oauth_provider_managed_by_env');
    assert.equal((await t.app.inject({ method: 'PUT', url: '/admin/oauth/providers/bad', headers: h, payload: { kind: 'oidc', clientId: 'x', clientSecret: 'y' } })).statusCode, 400);

    // Merge: one user's identities move to another, audited.
    op.accounts.set('corp-merge-a', { email: 'merge-a@corp.example', email_verified: true });
    gh.users.set('merge-b', { user: { id: 4242, login: 'mergeb', name: 'B', avatar_url: null, email: null }, emails: [{ email: 'merge-b@github.example', primary: true, verified: true }] });
    gh.nextLogin = 'merge-b';
    const a = await me(await accessTokenOf((await startFlow('corp', { login: 'corp-merge-a' })).agent));
    const b = await me(await accessTokenOf((await startFlow('github')).agent));
    const merged = await t.app.inject({ method: 'POST', url: `/admin/users/${a.id}/identities/merge`, headers: h, payload: { fromUserId: b.id } });
    assert.deepEqual(json(merged), { moved: ['github'] });
    const ids = json(await t.app.inject({ method: 'GET', url: `/admin/users/${a.id}/identities`, headers: h })).identities as { provider: string }[];
    assert.deepEqual(ids.map((i) => i.provider).sort(), ['corp', 'github']);
    // GitHub now signs in to A.
    gh.nextLogin = 'merge-b';
    assert.equal((await me(await accessTokenOf((await startFlow('github')).agent))).id, a.id);
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/admin/oauth/providers/partner', headers: h })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/oauth/partner' })).statusCode, 404);

    // Every social sign-in audit type was recorded by this file's flows (test/audit.test.ts leaves them here).
    const types = new Set((await t.deps.db.selectFrom('audit_log').select('type').where('type', 'like', 'oauth.%').execute()).map((r) => r.type));
    assert.deepEqual([...types].sort(), AUDIT_EVENT_TYPES.filter((x) => x.startsWith('oauth.')).sort());
  });
});
