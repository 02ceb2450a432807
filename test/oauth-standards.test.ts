// The standards the OAuth-facing endpoints answer by: RFC 6749 5.2 errors on /auth/token
// and /auth/introspect (`error` is the RFC's code, with `error_description`; our `code`
// kept), RFC 6749 5.1's Cache-Control and Pragma on token responses, and RFC 6750 3's
// WWW-Authenticate on bearer refusals (bare `Bearer` when none was sent, `error="invalid_token"`
// when the token is unusable). Every other endpoint keeps the house shape.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../src/core/clock.ts';
import { bearer, createTestApp, json, signUp, uniqueCredentials, type TestApp } from './helpers/app.ts';

const SECRET = 'introspection-secret-0123456789-abcdefghijkl';
const RFC_6749_ERRORS = new Set(['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope']);
const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` });
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** RFC 6749 5.2: error from the list, error_description in its character set, our code beside it. */
function assertOauthError(res: Awaited<ReturnType<TestApp['app']['inject']>>, status: number, error: string, code: string, label: string) {
  assert.equal(res.statusCode, status, `${label}: ${res.body}`);
  const body = json(res);
  assert.equal(body.error, error, label);
  assert.equal(body.code, code, label);
  assert.equal(typeof body.error_description, 'string', label);
  assert.match(body.error_description, /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/, `${label}: error_description is printable ASCII without " or \\`);
  assert.equal(res.headers['cache-control'], 'no-store', label);
  assert.equal(res.headers.pragma, 'no-cache', label);
  return body;
}

describe('RFC 6749 on POST /auth/token and /auth/introspect', () => {
  let t: TestApp;
  let sa: { id: string; clientId: string };
  let clientSecret: string;
  before(async () => {
    t = await createTestApp({ env: { AUTH_INTROSPECTION_SECRET: SECRET } });
    const admin = (await signUp(t.app)).accessToken;
    const created = json(await t.app.inject({ method: 'POST', url: '/admin/service-accounts', headers: bearer(admin), payload: { name: 'reports', permissions: ['users:read'] } }));
    sa = created.serviceAccount;
    clientSecret = created.clientSecret;
  });
  after(async () => { await t.close(); });

  test('a token response carries Cache-Control: no-store and Pragma: no-cache', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/auth/token', headers: { ...basic(sa.clientId, clientSecret), ...FORM }, payload: form({ grant_type: 'client_credentials' }) });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers.pragma, 'no-cache');
    const intro = await t.app.inject({ method: 'POST', url: '/auth/introspect', headers: { ...basic('rs', SECRET), ...FORM }, payload: form({ token: json(res).access_token }) });
    assert.equal(intro.statusCode, 200);
    assert.deepEqual([intro.headers['cache-control'], intro.headers.pragma], ['no-store', 'no-cache']);
  });

  test('/auth/token: every refusal in RFC 6749 5.2 shape', async () => {
    const cases: [string, Record<string, string>, string | object, number, string, string][] = [
      ['wrong grant', FORM, form({ grant_type: 'password', client_id: sa.clientId, client_secret: clientSecret }), 400, 'unsupported_grant_type', 'unsupported_grant_type'],
      ['wrong secret', FORM, form({ grant_type: 'client_credentials', client_id: sa.clientId, client_secret: 'nope' }), 401, 'invalid_client', 'invalid_client'],
      ['unknown client (Basic)', { ...basic('svc_nobody', 'nope'), ...FORM }, form({ grant_type: 'client_credentials' }), 401, 'invalid_client', 'invalid_client'],
      ['no client authentication', FORM, form({ grant_type: 'client_credentials' }), 401, 'invalid_client', 'invalid_client'],
      ['scope not granted', FORM, form({ grant_type: 'client_credentials', client_id: sa.clientId, client_secret: clientSecret, scope: 'users:delete' }), 400, 'invalid_scope', 'invalid_scope'],
      ['two authentication methods', { ...basic(sa.clientId, clientSecret), ...FORM }, form({ grant_type: 'client_credentials', client_secret: clientSecret }), 400, 'invalid_request', 'invalid_request'],
      ['malformed Basic', { authorization: 'Basic !!!', ...FORM }, form({ grant_type: 'client_credentials' }), 400, 'invalid_request', 'invalid_request'],
      ['no grant_type', FORM, form({ client_id: sa.clientId, client_secret: clientSecret }), 400, 'invalid_request', 'validation_failed'],
      ['unknown parameter type', {}, { grant_type: 42 }, 400, 'invalid_request', 'validation_failed'],
      ['broken JSON', { 'content-type': 'application/json' }, '{"grant_type":', 400, 'invalid_request', 'invalid_json'],
      ['text/plain', { 'content-type': 'text/plain' }, 'grant_type=client_credentials', 415, 'invalid_request', 'unsupported_media_type'],
    ];
    for (const [label, headers, payload, status, error, code] of cases) {
      const res = await t.app.inject({ method: 'POST', url: '/auth/token', headers, payload });
      const body = assertOauthError(res, status, error, code, label);
      assert.ok(RFC_6749_ERRORS.has(body.error), label);
      if (error === 'invalid_client') assert.match(String(res.headers['www-authenticate']), /^Basic realm=/, label);
      else assert.equal(res.headers['www-authenticate'], undefined, label);
    }
    const missing = json(await t.app.inject({ method: 'POST', url: '/auth/token', headers: FORM, payload: form({ client_id: 'x' }) }));
    assert.match(missing.error_description, /grant_type/, 'the description names the field');
    assert.ok(Array.isArray(missing.details), 'details are kept beside the RFC fields');
    const scope = json(await t.app.inject({ method: 'POST', url: '/auth/token', headers: FORM, payload: form({ grant_type: 'client_credentials', client_id: sa.clientId, client_secret: clientSecret, scope: 'users:delete' }) }));
    assert.match(scope.error_description, /users:delete/);
  });

  test('/auth/introspect: client authentication and malformed requests in RFC 6749 5.2 shape', async () => {
    for (const headers of [{}, basic('rs', 'wrong'), bearer('wrong')]) {
      const res = await t.app.inject({ method: 'POST', url: '/auth/introspect', headers: { ...headers, ...FORM }, payload: form({ token: 'x' }) });
      assertOauthError(res, 401, 'invalid_client', 'invalid_client', JSON.stringify(headers));
      assert.match(String(res.headers['www-authenticate']), /^Basic realm=/);
    }
    const noToken = await t.app.inject({ method: 'POST', url: '/auth/introspect', headers: { ...basic('rs', SECRET), ...FORM }, payload: form({ token_type_hint: 'access_token' }) });
    assert.match(assertOauthError(noToken, 400, 'invalid_request', 'validation_failed', 'no token').error_description, /token/);
    const text = await t.app.inject({ method: 'POST', url: '/auth/introspect', headers: { ...basic('rs', SECRET), 'content-type': 'text/plain' }, payload: 'token=x' });
    assertOauthError(text, 415, 'invalid_request', 'unsupported_media_type', 'text/plain');
  });

  test('rate limited: 429 temporarily_unavailable with Retry-After, code rate_limited', async () => {
    const limited = await createTestApp({ env: { AUTH_INTROSPECTION_SECRET: SECRET, AUTH_RATE_LIMIT_MAX: '2', AUTH_RATE_LIMIT_WINDOW: '60' } });
    try {
      let last;
      for (let i = 0; i < 3; i++) last = await limited.app.inject({ method: 'POST', url: '/auth/token', headers: FORM, payload: form({ grant_type: 'client_credentials', client_id: 'svc_nobody', client_secret: 'guess' }) });
      const res = await limited.app.inject({ method: 'POST', url: '/auth/token', headers: FORM, payload: form({ grant_type: 'client_credentials', client_id: 'svc_nobody', client_secret: 'guess' }) });
      assert.equal(last!.statusCode, 429, last!.body);
      assertOauthError(res, 429, 'temporarily_unavailable', 'rate_limited', 'limited');
      assert.ok(Number(res.headers['retry-after']) > 0);
    } finally {
      await limited.close();
    }
  });

  test('other endpoints keep the house shape: error is the message', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { ...uniqueCredentials(), client: 'native' } });
    assert.equal(bad.statusCode, 401);
    assert.deepEqual(json(bad), { error: 'Invalid email or password', code: 'invalid_credentials' });
  });
});

describe('RFC 6750 WWW-Authenticate on bearer refusals', () => {
  test('missing: bare Bearer; unusable: Bearer error="invalid_token"', async () => {
    const clock = new ManualClock(Date.parse('2026-06-01T08:00:00Z'));
    const t = await createTestApp({ clock, env: { AUTH_ACCESS_TOKEN_EXPIRY: '15m' } });
    try {
      const admin = await signUp(t.app);
      const created = json(await t.app.inject({ method: 'POST', url: '/admin/service-accounts', headers: bearer(admin.accessToken), payload: { name: 'x', permissions: ['users:read'] } }));
      const service = json(await t.app.inject({ method: 'POST', url: '/auth/token', payload: { grant_type: 'client_credentials', client_id: created.serviceAccount.clientId, client_secret: created.clientSecret } })).access_token;
      const get = (url: string, headers: Record<string, string>) => t.app.inject({ method: 'GET', url, headers });
      const [h, p] = admin.accessToken.split('.');

      for (const url of ['/auth/me', '/auth/sessions', '/admin/users']) {
        const missing = await get(url, {});
        assert.equal(missing.statusCode, 401, url);
        assert.equal(json(missing).code, 'unauthorized');
        assert.equal(missing.headers['www-authenticate'], 'Bearer', `${url}: no error without a token (RFC 6750 3.1)`);
        for (const [label, headers] of [['forged', bearer(`${h}.${p}.${'A'.repeat(43)}`)], ['garbage', bearer('not-a-jwt')], ['malformed header', { authorization: 'Bearer a b' }]] as const) {
          const res = await get(url, headers);
          assert.equal(res.statusCode, 401, `${url} ${label}`);
          assert.equal(json(res).code, 'invalid_token', `${url} ${label}`);
          assert.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token"', `${url} ${label}`);
        }
      }
      const notAUser = await get('/auth/me', bearer(service));
      assert.deepEqual([notAUser.statusCode, json(notAUser).code, notAUser.headers['www-authenticate']], [401, 'invalid_token', 'Bearer error="invalid_token"'], 'a service token on a user route');

      const other = await signUp(t.app);
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(other.accessToken) })).statusCode, 200);
      const revoked = await get('/auth/me', bearer(other.accessToken));
      assert.deepEqual([revoked.statusCode, json(revoked).code, revoked.headers['www-authenticate']], [401, 'session_revoked', 'Bearer error="invalid_token"']);

      clock.advance(16 * 60_000);
      for (const url of ['/auth/me', '/admin/users']) {
        const expired = await get(url, bearer(admin.accessToken));
        assert.deepEqual([expired.statusCode, json(expired).code, expired.headers['www-authenticate']], [401, 'token_expired', 'Bearer error="invalid_token"'], url);
      }
    } finally {
      await t.close();
    }
  });
});
