// Tessera as an OpenID Connect provider, with openid-client (v6) as the relying party
// against a listening server: discovery, the authorization code flow with PKCE through the
// hosted pages' calls, ID token validation, UserInfo, refresh rotation, introspection,
// revocation, prompt=none, single sign-on across two applications, RP-initiated logout
// with back-channel notices, consents on the account API, and the admin API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { register, uniqueCredentials } from './helpers/app.ts';
import { Receiver } from './helpers/receiver.ts';
import { assertSignedByJwks, authorizationUrl, Browser, client, pkce, relyingParty, startProvider } from './helpers/oidc.ts';
import type { UiServer } from './helpers/ui.ts';

describe('OpenID Connect provider', () => {
  let s: UiServer;
  const receiver = new Receiver();
  const admin = uniqueCredentials('boss');

  before(async () => {
    // Without a grace interval, a spent refresh token presented again is a reuse at once.
    s = await startProvider({ env: { AUTH_REFRESH_TOKEN_REUSE_INTERVAL: '0' } });
    await receiver.start();
    await register(s.t.app, admin); // the first account administers
  });
  after(async () => {
    await s?.close();
    await receiver.stop();
  });

  async function signedInBrowser() {
    const { creds, user } = await register(s.t.app);
    const b = new Browser(s);
    const res = await b.signIn(creds);
    assert.equal(res.status, 200);
    assert.ok(b.cookie);
    return { b, creds, user };
  }

  const introspect = async (token: string) => (await (await fetch(`${s.origin}/auth/introspect`, {
    method: 'POST', headers: { authorization: `Bearer introspection-secret-for-the-oidc-tests-0123456789`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }),
  })).json()) as Record<string, any>;

  test('discovery: both metadata documents describe the provider, issuer = AUTH_PUBLIC_URL', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const res = await fetch(`${s.origin}${path}`);
      assert.equal(res.status, 200);
      const m = (await res.json()) as Record<string, any>;
      assert.equal(m.issuer, s.origin);
      assert.deepEqual(m.response_types_supported, ['code']);
      assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
      assert.equal(m.authorization_response_iss_parameter_supported, true);
      assert.deepEqual(m.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'none']);
      assert.equal(m.jwks_uri, `${s.origin}/.well-known/jwks.json`);
      assert.ok(m.scopes_supported.includes('openid'));
    }
    // openid-client finds everything it needs.
    const rp = await relyingParty(s);
    assert.equal(rp.config.serverMetadata().token_endpoint, `${s.origin}/oauth2/token`);
    assert.equal(rp.config.serverMetadata().end_session_endpoint, `${s.origin}/oauth2/logout`);
  });

  test('code + PKCE: consent, ID token, UserInfo, introspection, refresh rotation with reuse detection, revocation', async () => {
    const rp = await relyingParty(s);
    const { b, creds, user } = await signedInBrowser();
    const p = await pkce();
    const answer = await b.authorize(authorizationUrl(rp, p));
    assert.equal(answer.kind, 'redirect');
    const back = new URL(answer.location);
    assert.equal(back.origin + back.pathname, rp.redirectUri);
    assert.equal(back.searchParams.get('iss'), s.origin, 'iss in the authorization response (RFC 9207)');
    assert.equal(back.searchParams.get('state'), p.state);
    assert.equal([...back.searchParams.keys()].filter((k) => /token/.test(k)).length, 0, 'no token in the URL');

    const tokens = await client.authorizationCodeGrant(rp.config, back, { pkceCodeVerifier: p.verifier, expectedState: p.state, expectedNonce: p.nonce });
    assert.ok(tokens.id_token && tokens.refresh_token);
    const claims = tokens.claims()!;
    assert.equal(claims.sub, user.id);
    assert.equal(claims.aud, rp.clientId);
    assert.equal(claims.nonce, p.nonce);
    assert.equal(typeof claims.auth_time, 'number');
    assert.deepEqual(claims.amr, ['pwd']);
    assert.equal(claims.acr, 'aal1');
    assert.equal(claims.email, creds.email);
    assert.equal(claims.preferred_username, creds.username);
    const signed = await assertSignedByJwks(s, tokens.id_token);
    assert.equal(signed.iss, s.origin);

    const info = await client.fetchUserInfo(rp.config, tokens.access_token, user.id);
    assert.equal(info.email, creds.email);
    assert.equal(info.preferred_username, creds.username);

    const seen = await introspect(tokens.access_token);
    assert.equal(seen.active, true);
    assert.equal(seen.client_id, rp.clientId);
    assert.equal(seen.scope, 'openid profile email');
    const seenRefresh = await introspect(tokens.refresh_token);
    assert.equal(seenRefresh.active, true);
    assert.equal(seenRefresh.client_id, rp.clientId);

    // Rotation: a new refresh token each time; the spent one, presented again, ends the grant.
    const second = await client.refreshTokenGrant(rp.config, tokens.refresh_token);
    assert.ok(second.refresh_token && second.refresh_token !== tokens.refresh_token);
    assert.equal(second.claims()!.sub, user.id);
    assert.equal(second.claims()!.auth_time, claims.auth_time);
    await assert.rejects(client.refreshTokenGrant(rp.config, tokens.refresh_token), (err: any) => err.error === 'invalid_grant');
    await assert.rejects(client.refreshTokenGrant(rp.config, second.refresh_token!), (err: any) => err.error === 'invalid_grant', 'the whole grant ended');
    assert.equal((await introspect(second.access_token)).active, false);

    // Revocation (RFC 7009) of a fresh grant's refresh token ends its access token too.
    const p2 = await pkce();
    const a2 = await b.authorize(authorizationUrl(rp, p2));
    const t2 = await client.authorizationCodeGrant(rp.config, new URL(a2.location), { pkceCodeVerifier: p2.verifier, expectedState: p2.state, expectedNonce: p2.nonce });
    await client.tokenRevocation(rp.config, t2.refresh_token!);
    assert.equal((await introspect(t2.access_token)).active, false);
    await assert.rejects(client.fetchUserInfo(rp.config, t2.access_token, user.id));
    // Unknown tokens get the same 200.
    await client.tokenRevocation(rp.config, 'not-a-token');

    // The account lists the consent, and withdrawing it ends the grants.
    const login = await fetch(`${s.origin}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: creds.email, password: creds.password, client: 'native' }) });
    const at = ((await login.json()) as { accessToken: string }).accessToken;
    const consents = (await (await fetch(`${s.origin}/auth/oauth2/consents`, { headers: { authorization: `Bearer ${at}` } })).json()) as { consents: Array<Record<string, any>> };
    assert.deepEqual(consents.consents.map((c) => [c.clientId, c.scopes]), [[rp.clientId, ['openid', 'profile', 'email']]]);
    const p3 = await pkce();
    const a3 = await b.authorize(authorizationUrl(rp, p3));
    const t3 = await client.authorizationCodeGrant(rp.config, new URL(a3.location), { pkceCodeVerifier: p3.verifier, expectedState: p3.state, expectedNonce: p3.nonce });
    const del = await fetch(`${s.origin}/auth/oauth2/consents/${rp.clientId}`, { method: 'DELETE', headers: { authorization: `Bearer ${at}` } });
    assert.equal(del.status, 204);
    assert.equal((await introspect(t3.access_token)).active, false);
    // Asked again next time.
    const p4 = await pkce();
    const first = await b.get(authorizationUrl(rp, p4).href);
    const handle = /request=([^&]+)/.exec(first.headers.get('location')!)![1]!;
    assert.equal((await b.next(handle)).body.action, 'consent');
  });

  test('prompt=none: a code with a session, login_required (with state and iss) without one', async () => {
    const rp = await relyingParty(s, { firstParty: true });
    const { b } = await signedInBrowser();
    const p = await pkce();
    const ok = await b.authorize(authorizationUrl(rp, p, { prompt: 'none' }));
    assert.equal(ok.kind, 'redirect');
    assert.ok(new URL(ok.location).searchParams.get('code'));

    const anonymous = new Browser(s);
    const none = await anonymous.authorize(authorizationUrl(rp, p, { prompt: 'none' }));
    assert.equal(none.kind, 'redirect');
    const u = new URL(none.location);
    assert.equal(u.searchParams.get('error'), 'login_required');
    assert.equal(u.searchParams.get('state'), p.state);
    assert.equal(u.searchParams.get('iss'), s.origin);
    // Without prompt=none the browser is sent to the hosted sign-in, which comes back.
    const signIn = await anonymous.authorize(authorizationUrl(rp, p));
    assert.equal(signIn.kind, 'sign_in');
    assert.match(signIn.location, /^\/ui\/sign-in\?redirectTo=/);
    // login_hint reaches the sign-in page (which fills the identifier with it).
    const hinted = await anonymous.authorize(authorizationUrl(rp, await pkce(), { login_hint: 'ada@example.com' }));
    assert.equal(hinted.kind, 'sign_in');
    assert.equal(new URL(hinted.location, s.origin).searchParams.get('login_hint'), 'ada@example.com');
    // The same request as a form POST from the application's page (OpenID Connect Core 3.1.2.1).
    const form = await fetch(`${s.origin}/oauth2/authorize`, {
      method: 'POST', redirect: 'manual', body: authorizationUrl(rp, await pkce()).searchParams,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://app.example.com' },
    });
    assert.equal(form.status, 302);
    assert.match(form.headers.get('location') ?? '', /^\/ui\/oauth2\/authorize\?request=[A-Za-z0-9_-]+$/);
    // A third-party client's consent cannot be given silently.
    const third = await relyingParty(s);
    const c = await b.authorize(authorizationUrl(third, p, { prompt: 'none' }));
    assert.equal(new URL((c as { location: string }).location).searchParams.get('error'), 'consent_required');
  });

  test('single sign-on: a second application signs in without a password; RP-initiated logout of the first signs both out, with a back-channel notice', async () => {
    const rp1 = await relyingParty(s, { firstParty: true, postLogoutRedirectUris: ['http://localhost:9/bye'] });
    const rp2 = await relyingParty(s, { firstParty: true, backchannelLogoutUri: `${receiver.url}/backchannel` });
    const { b, user } = await signedInBrowser();
    const p1 = await pkce();
    const a1 = await b.authorize(authorizationUrl(rp1, p1));
    const t1 = await client.authorizationCodeGrant(rp1.config, new URL(a1.location), { pkceCodeVerifier: p1.verifier, expectedState: p1.state, expectedNonce: p1.nonce });
    const p2 = await pkce();
    const a2 = await b.authorize(authorizationUrl(rp2, p2));
    assert.equal(a2.kind, 'redirect', 'no sign-in asked of the second application');
    const t2 = await client.authorizationCodeGrant(rp2.config, new URL(a2.location), { pkceCodeVerifier: p2.verifier, expectedState: p2.state, expectedNonce: p2.nonce });
    assert.equal(t2.claims()!.sid, t1.claims()!.sid, 'one browser session');

    const before = receiver.requests.length;
    const end = client.buildEndSessionUrl(rp1.config, { id_token_hint: t1.id_token!, post_logout_redirect_uri: 'http://localhost:9/bye', state: 'xyz' });
    const res = await b.get(end.href);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), 'http://localhost:9/bye?state=xyz');
    await s.t.deps.oidc.logout.settled();
    await assert.rejects(client.refreshTokenGrant(rp2.config, t2.refresh_token!), (err: any) => err.error === 'invalid_grant');
    await assert.rejects(client.fetchUserInfo(rp1.config, t1.access_token, user.id));
    // The browser session ended: the next authorization asks for a sign-in.
    const again = await b.authorize(authorizationUrl(rp1, await pkce()));
    assert.equal(again.kind, 'sign_in');
    // The back-channel logout token.
    const notices = receiver.requests.slice(before).filter((r) => r.path === '/backchannel');
    assert.equal(notices.length, 1);
    const token = new URLSearchParams(notices[0]!.body).get('logout_token')!;
    const claims = await assertSignedByJwks(s, token);
    assert.equal(claims.aud, rp2.clientId);
    assert.equal(claims.sub, user.id);
    assert.equal(claims.sid, t2.claims()!.sid);
    assert.ok(claims.events['http://schemas.openid.net/event/backchannel-logout']);
    assert.equal(claims.nonce, undefined);
  });

  test('a browser session ended through Tessera\'s own API ends the grants made through it, with one back-channel notice', async () => {
    const rp1 = await relyingParty(s, { firstParty: true });
    const rp2 = await relyingParty(s, { firstParty: true, backchannelLogoutUri: `${receiver.url}/backchannel` });
    const grant = async (b: Browser, rp: typeof rp1) => {
      const p = await pkce();
      const a = await b.authorize(authorizationUrl(rp, p));
      return client.authorizationCodeGrant(rp.config, new URL(a.location), { pkceCodeVerifier: p.verifier, expectedState: p.state, expectedNonce: p.nonce });
    };
    const notices = async (from: number, sid: string) => {
      const until = Date.now() + 10_000;
      const mine = () => receiver.requests.slice(from).filter((r) => r.path === '/backchannel' && new URLSearchParams(r.body).get('logout_token') !== null);
      while (mine().length < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 200)); // room for a duplicate to show
      await s.t.deps.oidc.logout.settled();
      const got = await Promise.all(mine().map((r) => assertSignedByJwks(s, new URLSearchParams(r.body).get('logout_token')!)));
      return got.filter((c) => c.sid === sid);
    };
    const { b, creds, user } = await signedInBrowser();
    const t1 = await grant(b, rp1);
    const t2 = await grant(b, rp2);
    const sso = t2.claims()!.sid as string;
    // One session ended: the user signs that browser out from another device.
    const native = (await (await fetch(`${s.origin}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: creds.email, password: creds.password, client: 'native' }) })).json()) as { accessToken: string };
    let from = receiver.requests.length;
    const del = await fetch(`${s.origin}/auth/sessions/${sso}`, { method: 'DELETE', headers: { authorization: `Bearer ${native.accessToken}` } });
    assert.equal(del.status, 200, await del.clone().text());
    const first = await notices(from, sso);
    assert.equal(first.length, 1, 'rp2 is told once');
    assert.equal(first[0]!.aud, rp2.clientId);
    assert.equal(first[0]!.sub, user.id);
    await assert.rejects(client.refreshTokenGrant(rp1.config, t1.refresh_token!), (err: any) => err.error === 'invalid_grant');
    await assert.rejects(client.refreshTokenGrant(rp2.config, t2.refresh_token!), (err: any) => err.error === 'invalid_grant');

    // Every session ended (sign out everywhere): the new browser session's grant ends too.
    const b2 = new Browser(s);
    assert.equal((await b2.signIn(creds)).status, 200);
    const t3 = await grant(b2, rp2);
    const sso2 = t3.claims()!.sid as string;
    const native2 = (await (await fetch(`${s.origin}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: creds.email, password: creds.password, client: 'native' }) })).json()) as { accessToken: string };
    from = receiver.requests.length;
    const out = await fetch(`${s.origin}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${native2.accessToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ scope: 'global' }) });
    assert.equal(out.status, 200, await out.clone().text());
    const second = await notices(from, sso2);
    assert.equal(second.length, 1);
    await assert.rejects(client.refreshTokenGrant(rp2.config, t3.refresh_token!), (err: any) => err.error === 'invalid_grant');
  });

  test('client_credentials stays the service accounts\' grant at /oauth2/token', async () => {
    const sa = await s.t.deps.serviceAccounts.create({ actor: { type: 'system' }, permissions: new Set(['*']) } as never, { name: 'worker' });
    const res = await fetch(`${s.origin}/oauth2/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sa.serviceAccount.clientId, client_secret: sa.clientSecret }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(((await res.json()) as { token_type: string }).token_type, 'Bearer');
    const rp = await relyingParty(s);
    const refused = await fetch(`${s.origin}/oauth2/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: rp.clientId, client_secret: rp.clientSecret! }),
    });
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: string }).error, 'unauthorized_client');
  });

  test('admin API: oauth_clients:manage registers, rotates and deletes; a plain user cannot', async () => {
    const res = await fetch(`${s.origin}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: admin.email, password: admin.password, client: 'native' }) });
    const at = ((await res.json()) as { accessToken: string }).accessToken;
    const h = { authorization: `Bearer ${at}`, 'content-type': 'application/json' };
    const created = await fetch(`${s.origin}/admin/oauth-clients`, { method: 'POST', headers: h, body: JSON.stringify({ name: 'Grafana', redirectUris: ['https://grafana.example.com/login/generic_oauth'] }) });
    assert.equal(created.status, 201);
    const body = (await created.json()) as { client: { clientId: string; type: string }; clientSecret: string };
    assert.equal(body.client.type, 'confidential');
    assert.match(body.clientSecret, /^tcs_/);
    const listed = (await (await fetch(`${s.origin}/admin/oauth-clients`, { headers: h })).json()) as { clients: Array<Record<string, unknown>> };
    assert.ok(listed.clients.some((c) => c.clientId === body.client.clientId && !('clientSecret' in c)));
    const bad = await fetch(`${s.origin}/admin/oauth-clients`, { method: 'POST', headers: h, body: JSON.stringify({ name: 'x', redirectUris: ['javascript:alert(1)'] }) });
    assert.equal(((await bad.json()) as { code: string }).code, 'oidc_redirect_uri_invalid');
    const fragment = await fetch(`${s.origin}/admin/oauth-clients`, { method: 'POST', headers: h, body: JSON.stringify({ name: 'x', redirectUris: ['https://a.example/cb#frag'] }) });
    assert.equal(fragment.status, 400);
    const rotated = (await (await fetch(`${s.origin}/admin/oauth-clients/${body.client.clientId}/rotate-secret`, { method: 'POST', headers: { authorization: h.authorization } })).json()) as { clientSecret: string };
    assert.notEqual(rotated.clientSecret, body.clientSecret);
    await assert.rejects(s.t.deps.oidc.clients.authenticate(body.client.clientId, body.clientSecret));
    assert.ok(await s.t.deps.oidc.clients.authenticate(body.client.clientId, rotated.clientSecret));
    const del = await fetch(`${s.origin}/admin/oauth-clients/${body.client.clientId}`, { method: 'DELETE', headers: { authorization: h.authorization } });
    assert.equal(del.status, 204);

    const { b: _b, creds } = await signedInBrowser();
    const userLogin = await fetch(`${s.origin}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: creds.email, password: creds.password, client: 'native' }) });
    const userToken = ((await userLogin.json()) as { accessToken: string }).accessToken;
    const denied = await fetch(`${s.origin}/admin/oauth-clients`, { headers: { authorization: `Bearer ${userToken}` } });
    assert.equal(denied.status, 403);
  });
});
