// POST /auth/introspect (RFC 7662): client authentication with the shared secret,
// form-encoded and JSON bodies, access and refresh tokens, and `active: false` for
// anything not usable now.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, createTestApp, decodeJwtPart, json, signUp, type TestApp } from './helpers/app.ts';

const SECRET = 'introspection-secret-0123456789-abcdefghijkl+/=';
const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

function introspect(t: TestApp, headers: Record<string, string>, body: Record<string, string>, form = true) {
  return t.app.inject({
    method: 'POST', url: '/auth/introspect',
    headers: { ...headers, 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
    payload: form ? new URLSearchParams(body).toString() : JSON.stringify(body),
  });
}

describe('POST /auth/introspect', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp({ env: { AUTH_INTROSPECTION_SECRET: SECRET } }); });
  after(async () => { await t.close(); });

  test('an active access token: RFC 7662 fields', async () => {
    const s = await signUp(t.app, 'native');
    const res = await introspect(t, basic('orders-api', SECRET), { token: s.accessToken });
    assert.equal(res.statusCode, 200, res.body);
    const claims = decodeJwtPart(s.accessToken, 1);
    assert.deepEqual(json(res), {
      active: true, token_type: 'Bearer', sub: s.user.id, sid: claims.sid, exp: claims.exp, iat: claims.iat, iss: 'tessera',
      username: s.user.username, role: s.user.role,
    });
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  test('an active refresh token, with or without the hint; JSON bodies and Bearer secrets work too', async () => {
    const s = await signUp(t.app, 'native');
    for (const [headers, form, hint] of [[basic('x', SECRET), true, 'refresh_token'], [bearer(SECRET), false, undefined]] as const) {
      const res = await introspect(t, headers, { token: s.refreshToken, ...(hint ? { token_type_hint: hint } : {}) }, form);
      assert.equal(res.statusCode, 200, res.body);
      const body = json(res);
      assert.equal(body.active, true);
      assert.equal(body.token_type, 'Refresh');
      assert.equal(body.sub, s.user.id);
      assert.equal(body.client_id, 'native');
      assert.ok(body.exp > body.iat);
    }
  });

  test('a form-encoded secret (RFC 6749 Basic encoding) is accepted', async () => {
    const s = await signUp(t.app, 'native');
    const res = await introspect(t, basic('x', encodeURIComponent(SECRET)), { token: s.accessToken });
    assert.equal(res.statusCode, 200);
    assert.equal(json(res).active, true);
  });

  test('inactive: revoked sessions, spent refresh tokens, expired or forged or unknown tokens', async () => {
    const s = await signUp(t.app, 'native');
    const rotated = json(await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: s.refreshToken } }));
    assert.deepEqual(json(await introspect(t, basic('x', SECRET), { token: s.refreshToken })), { active: false }, 'spent');
    assert.equal(json(await introspect(t, basic('x', SECRET), { token: rotated.refreshToken })).active, true);
    const [h, p] = s.accessToken.split('.');
    for (const token of [`${h}.${p}.forged`, 'unknown-opaque-token', 'a.b.c', '💥']) {
      assert.deepEqual(json(await introspect(t, basic('x', SECRET), { token })), { active: false }, token);
    }
    await t.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(rotated.accessToken) });
    assert.deepEqual(json(await introspect(t, basic('x', SECRET), { token: rotated.accessToken })), { active: false }, 'revoked access token');
    assert.deepEqual(json(await introspect(t, basic('x', SECRET), { token: rotated.refreshToken })), { active: false }, 'revoked refresh token');
  });

  test('without the right secret: 401 invalid_client with WWW-Authenticate, whatever the body', async () => {
    const s = await signUp(t.app, 'native');
    for (const headers of [{}, basic('x', 'wrong'), bearer('wrong'), basic('x', ''), { authorization: 'Basic !!!' }, { authorization: `Bearer ${s.accessToken}` }]) {
      const res = await introspect(t, headers, { token: s.accessToken });
      assert.equal(res.statusCode, 401, JSON.stringify(headers));
      assert.equal(json(res).code, 'invalid_client');
      assert.match(String(res.headers['www-authenticate']), /^Basic/);
    }
  });

  test('a missing token is 400; other content types are 415', async () => {
    const res = await introspect(t, basic('x', SECRET), {});
    assert.equal(res.statusCode, 400);
    assert.equal(json(res).code, 'validation_failed');
    const text = await t.app.inject({ method: 'POST', url: '/auth/introspect', headers: { ...basic('x', SECRET), 'content-type': 'text/plain' }, payload: 'token=x' });
    assert.equal(text.statusCode, 415);
  });

  test('form bodies stay refused on the other endpoints', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'email=a%40b.test&password=x' });
    assert.equal(res.statusCode, 415);
  });
});

describe('introspection protection', () => {
  test('without AUTH_INTROSPECTION_SECRET every caller is refused', async () => {
    const t = await createTestApp();
    try {
      const s = await signUp(t.app, 'native');
      const res = await introspect(t, bearer('anything'), { token: s.accessToken });
      assert.equal(res.statusCode, 401);
      assert.equal(json(res).code, 'invalid_client');
    } finally {
      await t.close();
    }
  });

  test('failed client authentications are rate limited; good ones are not', async () => {
    const t = await createTestApp({ env: { AUTH_INTROSPECTION_SECRET: SECRET, AUTH_RATE_LIMIT_MAX: '3', AUTH_RATE_LIMIT_WINDOW: '60' } });
    try {
      const s = await signUp(t.app, 'native');
      for (let i = 0; i < 10; i++) assert.equal((await introspect(t, bearer(SECRET), { token: s.accessToken })).statusCode, 200);
      const codes = [];
      for (let i = 0; i < 4; i++) codes.push((await introspect(t, bearer('guess'), { token: s.accessToken })).statusCode);
      assert.deepEqual(codes, [401, 401, 401, 429]);
    } finally {
      await t.close();
    }
  });
});
