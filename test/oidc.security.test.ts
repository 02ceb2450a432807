// The OAuth 2.0 Security BCP (RFC 9700) MUSTs that apply to Tessera's provider, each as a
// refusal that could fail: exact redirect URI matching (and no open redirect before the
// client and its URI are known), PKCE required and verified (S256 only), authorization
// codes single use (a reused code ends the tokens issued from it) and short-lived (60 s),
// `iss` in every authorization response (RFC 9207), no token in URLs, client
// authentication, refresh tokens bound to their client, and RFC 6749 5.2 error bodies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../src/core/clock.ts';
import { register } from './helpers/app.ts';
import { Browser, pkce, relyingParty, startProvider, type Rp } from './helpers/oidc.ts';
import type { UiServer } from './helpers/ui.ts';

describe('OpenID Connect provider: RFC 9700 refusals', () => {
  const clock = new ManualClock(Date.now());
  let s: UiServer;
  let rp: Rp;
  let other: Rp;
  let pub: Rp;
  let b: Browser;

  before(async () => {
    s = await startProvider({ clock });
    await register(s.t.app); // the administrator
    rp = await relyingParty(s, { firstParty: true, redirectUri: 'https://app.example.com/callback', postLogoutRedirectUris: ['https://app.example.com/bye'] });
    other = await relyingParty(s, { firstParty: true, redirectUri: 'https://other.example.com/callback' });
    pub = await relyingParty(s, { firstParty: true, type: 'public', redirectUri: 'http://127.0.0.1:8123/callback' });
    const { creds } = await register(s.t.app);
    b = new Browser(s);
    assert.equal((await b.signIn(creds)).status, 200);
  });
  after(async () => { await s?.close(); });

  function url(client: Rp, params: Record<string, string | undefined>): string {
    const u = new URL(`${s.origin}/oauth2/authorize`);
    const all: Record<string, string | undefined> = { response_type: 'code', client_id: client.clientId, redirect_uri: client.redirectUri, scope: 'openid email', state: 'st4te', ...params };
    for (const [k, v] of Object.entries(all)) if (v !== undefined) u.searchParams.set(k, v);
    return u.href;
  }

  /** A code for `client`, with its verifier. */
  async function code(client: Rp, extra: Record<string, string> = {}) {
    const p = await pkce();
    const r = await b.authorize(new URL(url(client, { code_challenge: p.challenge, code_challenge_method: 'S256', nonce: p.nonce, ...extra })));
    assert.equal(r.kind, 'redirect', JSON.stringify(r));
    const back = new URL(r.location);
    const c = back.searchParams.get('code');
    assert.ok(c, r.location);
    return { code: c, verifier: p.verifier, back };
  }

  const token = (body: Record<string, string>, auth?: Rp | null) => fetch(`${s.origin}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth?.clientSecret ? { authorization: `Basic ${Buffer.from(`${encodeURIComponent(auth.clientId)}:${encodeURIComponent(auth.clientSecret)}`).toString('base64')}` } : {}) },
    body: new URLSearchParams(body),
  });
  const exchange = (client: Rp, c: { code: string; verifier: string }, over: Record<string, string> = {}) =>
    token({ grant_type: 'authorization_code', code: c.code, redirect_uri: client.redirectUri, code_verifier: c.verifier, ...(client.clientSecret ? {} : { client_id: client.clientId }), ...over }, client);
  const introspect = async (t: string) => (await (await fetch(`${s.origin}/auth/introspect`, {
    method: 'POST', headers: { authorization: 'Bearer introspection-secret-for-the-oidc-tests-0123456789', 'content-type': 'application/json' }, body: JSON.stringify({ token: t }),
  })).json()) as { active: boolean };

  test('redirect URIs match exactly; before the client and its URI are known, errors are a page, never a redirect', async () => {
    const p = await pkce();
    const base = { code_challenge: p.challenge, code_challenge_method: 'S256' };
    for (const redirect of ['https://app.example.com/callback/', 'https://app.example.com/callback?x=1', 'https://app.example.com:444/callback', 'https://app.example.com/Callback',
      'https://app.example.com/callbackx', 'http://app.example.com/callback', 'https://evil.example/callback', 'https://app.example.com/callback#f', undefined]) {
      const res = await b.get(url(rp, { ...base, redirect_uri: redirect }));
      assert.equal(res.status, 400, String(redirect));
      assert.equal(res.headers.get('location'), null, `no redirect to ${redirect}`);
      assert.match(await res.text(), /oidc_redirect_uri_mismatch/);
    }
    const unknown = await b.get(url({ ...rp, clientId: 'nobody' }, { ...base, redirect_uri: 'https://evil.example/cb' }));
    assert.equal(unknown.status, 400);
    assert.equal(unknown.headers.get('location'), null);
    assert.match(await unknown.text(), /oidc_client_unknown/);
  });

  test('PKCE is required, S256 only; other request errors go back to the client with state and iss', async () => {
    const p = await pkce();
    const cases: Array<[Record<string, string | undefined>, string]> = [
      [{}, 'invalid_request'],
      [{ code_challenge: p.challenge }, 'invalid_request'],
      [{ code_challenge: p.verifier, code_challenge_method: 'plain' }, 'invalid_request'],
      [{ code_challenge: 'short', code_challenge_method: 'S256' }, 'invalid_request'],
      [{ code_challenge: p.challenge, code_challenge_method: 'S256', response_type: 'token' }, 'unsupported_response_type'],
      [{ code_challenge: p.challenge, code_challenge_method: 'S256', response_type: 'code id_token' }, 'unsupported_response_type'],
      [{ code_challenge: p.challenge, code_challenge_method: 'S256', scope: 'openid admin' }, 'invalid_scope'],
      [{ code_challenge: p.challenge, code_challenge_method: 'S256', response_mode: 'fragment' }, 'invalid_request'],
      [{ code_challenge: p.challenge, code_challenge_method: 'S256', prompt: 'none login' }, 'invalid_request'],
      [{ code_challenge: p.challenge, code_challenge_method: 'S256', request: 'eyJ.x.y' }, 'request_not_supported'],
    ];
    for (const [params, error] of cases) {
      const res = await b.get(url(rp, params));
      assert.equal(res.status, 302, JSON.stringify(params));
      const back = new URL(res.headers.get('location')!);
      assert.equal(back.origin + back.pathname, rp.redirectUri);
      assert.equal(back.searchParams.get('error'), error, JSON.stringify(params));
      assert.equal(back.searchParams.get('state'), 'st4te');
      assert.equal(back.searchParams.get('iss'), s.origin);
      assert.equal(back.searchParams.get('code'), null);
    }
  });

  test('the code is verified against its PKCE verifier, redirect URI and client', async () => {
    const c = await code(rp);
    assert.equal(c.back.searchParams.get('iss'), s.origin);
    const wrong = await exchange(rp, { ...c, verifier: (await pkce()).verifier });
    assert.equal(wrong.status, 400);
    const body = (await wrong.json()) as Record<string, string>;
    assert.equal(body.error, 'invalid_grant');
    assert.equal(typeof body.error_description, 'string');
    assert.equal(wrong.headers.get('cache-control'), 'no-store');
    // The failed attempt spent the code: guessing verifiers is one try per code.
    assert.equal((await exchange(rp, c)).status, 400);

    const d = await code(rp);
    const mismatch = await exchange(rp, d, { redirect_uri: 'https://app.example.com/other' });
    assert.equal(((await mismatch.json()) as { error: string }).error, 'invalid_grant');

    const e = await code(rp);
    const stolen = await exchange(other, e, { redirect_uri: rp.redirectUri });
    assert.equal(((await stolen.json()) as { error: string }).error, 'invalid_grant', 'a code is bound to its client');
    assert.equal((await exchange(rp, e)).status, 200, 'and is left unspent by another client');

    const f = await code(rp);
    const missing = await exchange(rp, { ...f, verifier: '' }, { code_verifier: '' });
    assert.equal(((await missing.json()) as { error: string }).error, 'invalid_request');
  });

  test('a code is single use: presented again, the tokens issued from it end', async () => {
    const c = await code(rp);
    const first = await exchange(rp, c);
    assert.equal(first.status, 200);
    const tokens = (await first.json()) as { access_token: string; refresh_token: string; id_token: string };
    assert.equal((await introspect(tokens.access_token)).active, true);
    const again = await exchange(rp, c);
    assert.equal(again.status, 400);
    assert.equal(((await again.json()) as { error: string }).error, 'invalid_grant');
    assert.equal((await introspect(tokens.access_token)).active, false, 'the access token issued from the code is revoked');
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, rp);
    assert.equal(((await refreshed.json()) as { error: string }).error, 'invalid_grant');
  });

  test('a code lives at most 60 seconds', async () => {
    const c = await code(rp);
    const rows = await s.t.deps.db.selectFrom('oidc_codes').select(['created_at', 'expires_at']).execute();
    for (const r of rows) assert.ok(r.expires_at.getTime() - r.created_at.getTime() <= 60_000);
    clock.advance(61_000);
    const late = await exchange(rp, c);
    assert.equal(((await late.json()) as { error: string }).error, 'invalid_grant');
  });

  test('no token in URLs: tokens come only from a POST to the token endpoint, never stored by caches', async () => {
    const c = await code(rp);
    assert.deepEqual([...c.back.searchParams.keys()].sort(), ['code', 'iss', 'state']);
    const viaGet = await fetch(`${s.origin}/oauth2/token?grant_type=authorization_code&code=${c.code}&code_verifier=${c.verifier}`);
    assert.equal(viaGet.status, 404);
    const ok = await exchange(rp, c);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('cache-control'), 'no-store');
    assert.equal(ok.headers.get('pragma'), 'no-cache');
  });

  test('client authentication: a confidential client needs its secret, a public one may not send one', async () => {
    const c = await code(rp);
    const none = await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: rp.redirectUri, code_verifier: c.verifier, client_id: rp.clientId });
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { error: string }).error, 'invalid_client');
    const wrong = await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: rp.redirectUri, code_verifier: c.verifier, client_id: rp.clientId, client_secret: 'tcs_wrong' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic/);
    // client_secret_post works as well as Basic.
    assert.equal((await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: rp.redirectUri, code_verifier: c.verifier, client_id: rp.clientId, client_secret: rp.clientSecret! })).status, 200);

    const pc = await code(pub);
    assert.equal((await exchange(pub, pc, { client_secret: 'anything' })).status, 401);
    assert.equal((await exchange(pub, pc)).status, 200, 'PKCE alone for a public client');
    const bad = await token({ grant_type: 'password', username: 'a', password: 'b', client_id: pub.clientId });
    assert.equal(((await bad.json()) as { error: string }).error, 'unsupported_grant_type');
  });

  test('refresh tokens are bound to their client and to /oauth2/token', async () => {
    const c = await code(rp);
    const t = (await (await exchange(rp, c)).json()) as { refresh_token: string; access_token: string };
    const elsewhere = await token({ grant_type: 'refresh_token', refresh_token: t.refresh_token }, other);
    assert.equal(((await elsewhere.json()) as { error: string }).error, 'invalid_grant');
    assert.equal((await introspect(t.refresh_token)).active, true, 'another client changes nothing');
    const wider = await token({ grant_type: 'refresh_token', refresh_token: t.refresh_token, scope: 'openid profile' }, rp);
    assert.equal(((await wider.json()) as { error: string }).error, 'invalid_scope');
    // Presented at /auth/refresh (no client authentication), it ends the grant.
    const plain = await fetch(`${s.origin}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: t.refresh_token }) });
    assert.equal(plain.status, 401);
    assert.equal((await introspect(t.access_token)).active, false);
  });

  test('an access token issued to an application is refused by Tessera\'s own account, session and admin routes, accepted by userinfo', async () => {
    const c = await code(rp);
    const t = (await (await exchange(rp, c)).json()) as { access_token: string };
    const bearer = { authorization: `Bearer ${t.access_token}` };
    const info = await fetch(`${s.origin}/oauth2/userinfo`, { headers: bearer });
    assert.equal(info.status, 200, await info.clone().text());
    for (const [method, path] of [['GET', '/auth/me'], ['GET', '/auth/sessions'], ['GET', '/auth/mfa'], ['POST', '/auth/mfa/recovery-codes'], ['GET', '/admin/users'], ['GET', '/auth/permissions']] as const) {
      const res = await fetch(`${s.origin}${path}`, { method, headers: { ...bearer, origin: s.origin } });
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.equal(((await res.json()) as { code: string }).code, 'invalid_token', `${method} ${path}`);
      assert.match(res.headers.get('www-authenticate') ?? '', /invalid_token/);
    }
  });

  test('consent denied, aal2 without a second factor, and a logout to an unregistered address', async () => {
    const third = await relyingParty(s, { redirectUri: 'https://third.example.com/cb' });
    const p = await pkce();
    const first = await b.get(url(third, { code_challenge: p.challenge, code_challenge_method: 'S256' }));
    const handle = /request=([^&]+)/.exec(first.headers.get('location')!)![1]!;
    assert.equal((await b.next(handle)).body.action, 'consent');
    const denied = await b.next(handle, 'deny');
    assert.equal(new URL(denied.body.location).searchParams.get('error'), 'access_denied');
    assert.equal((await b.next(handle)).status, 400, 'the request is finished');

    // aal2: a fresh sign-in without any factor cannot reach it.
    const res = await b.get(url(rp, { code_challenge: p.challenge, code_challenge_method: 'S256', acr_values: 'aal2' }));
    const h2 = /request=([^&]+)/.exec(res.headers.get('location')!)![1]!;
    assert.equal((await b.next(h2)).body.action, 'sign_in');
    const { creds } = await register(s.t.app);
    clock.advance(1000);
    await b.signIn(creds);
    const after = await b.next(h2);
    assert.equal(new URL(after.body.location).searchParams.get('error'), 'access_denied');

    const logout = await b.get(`${s.origin}/oauth2/logout?client_id=${rp.clientId}&post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`);
    assert.equal(logout.status, 400);
    assert.equal(logout.headers.get('location'), null);
  });
});
