// Cross-cutting HTTP behaviour: security headers, caching, CORS, request ids, JSON errors
// for unknown routes, the OpenAPI document and the health probes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, createTestApp, json, signUp, uniqueCredentials, type TestApp } from './helpers/app.ts';

describe('HTTP surface', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp({ env: { AUTH_CORS_ORIGINS: 'https://app.example.test, https://admin.example.test' } }); });
  after(async () => { await t.close(); });

  test('security headers on every kind of response, and no X-Powered-By', async () => {
    const s = await signUp(t.app);
    const responses = await Promise.all([
      t.app.inject({ method: 'GET', url: '/healthz' }),
      t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) }),
      t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'x@example.test', password: 'wrong-one' } }),
      t.app.inject({ method: 'GET', url: '/no/such/route' }),
      t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' }),
    ]);
    for (const res of responses) {
      assert.equal(res.headers['x-content-type-options'], 'nosniff', res.raw.req.url);
      assert.equal(res.headers['x-powered-by'], undefined);
      assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      assert.match(String(res.headers['strict-transport-security']), /max-age=\d+/);
      assert.ok(res.headers['content-security-policy']);
    }
  });

  test('Cache-Control: no-store on token responses, successes and errors alike', async () => {
    const c = uniqueCredentials();
    const reg = await t.app.inject({ method: 'POST', url: '/auth/register', payload: c });
    const ok = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { ...c, client: 'native' } });
    const refresh = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: json(ok).refreshToken } });
    const me = await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(json(ok).accessToken) });
    const bad = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { ...c, password: 'wrong-password' } });
    for (const res of [reg, ok, refresh, me, bad]) assert.equal(res.headers['cache-control'], 'no-store');
  });

  test('CORS: allowed origins get credentials; others get no CORS headers', async () => {
    const pre = await t.app.inject({ method: 'OPTIONS', url: '/auth/login', headers: { origin: 'https://app.example.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    assert.equal(pre.statusCode, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example.test');
    assert.equal(pre.headers['access-control-allow-credentials'], 'true');
    assert.match(String(pre.headers['access-control-allow-methods']), /POST/);

    const simple = await t.app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://admin.example.test' } });
    assert.equal(simple.headers['access-control-allow-origin'], 'https://admin.example.test');
    assert.match(String(simple.headers.vary), /Origin/i);

    for (const origin of ['https://evil.example.test', 'https://app.example.test.evil.test', 'null']) {
      const res = await t.app.inject({ method: 'OPTIONS', url: '/auth/login', headers: { origin, 'access-control-request-method': 'POST' } });
      assert.equal(res.headers['access-control-allow-origin'], undefined, origin);
      assert.equal(res.headers['access-control-allow-credentials'], undefined, origin);
    }
  });

  test('request ids: a safe X-Request-Id is echoed, an unsafe one replaced', async () => {
    const kept = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'trace-abc_123' } });
    assert.equal(kept.headers['x-request-id'], 'trace-abc_123');
    const replaced = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'bad id\nwith newline' } });
    assert.match(String(replaced.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  test('unknown routes and wrong methods give a JSON 404', async () => {
    for (const [method, url] of [['GET', '/nope'], ['GET', '/auth/login'], ['PUT', '/auth/me'], ['PATCH', '/auth/login']] as const) {
      const res = await t.app.inject({ method, url });
      assert.equal(res.statusCode, 404);
      assert.deepEqual(json(res), { error: 'Not found', code: 'not_found' });
    }
  });

  test('OpenAPI at /openapi.json describes every route with its schemas; Swagger UI at /docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = json(res);
    assert.equal(doc.openapi, '3.1.0');
    for (const [path, method] of [['/auth/register', 'post'], ['/auth/login', 'post'], ['/auth/refresh', 'post'], ['/auth/me', 'get'], ['/auth/verify', 'get'], ['/auth/logout', 'post'], ['/.well-known/jwks.json', 'get'], ['/healthz', 'get'], ['/readyz', 'get'], ['/auth/sessions', 'get'], ['/auth/sessions/current', 'get'], ['/auth/sessions/{id}', 'delete'], ['/auth/sessions', 'delete'], ['/auth/introspect', 'post']]) {
      const op = doc.paths[path!]?.[method!];
      assert.ok(op, `${method} ${path} documented`);
      assert.ok(op.responses['200'] || op.responses['201'], `${path} has a success response`);
    }
    assert.deepEqual(doc.paths['/auth/register'].post.requestBody.content['application/json'].schema.required, ['username', 'password'], 'email is required by AUTH_EMAIL_REQUIRED (the default), checked by the service');
    assert.ok(doc.paths['/auth/login'].post.responses['401']);
    assert.ok(doc.components.securitySchemes.bearerAuth);
    const ui = await t.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(ui.statusCode, 200);
    assert.match(ui.body, /swagger/i);
  });

  test('/healthz and /readyz', async () => {
    assert.deepEqual(json(await t.app.inject({ method: 'GET', url: '/healthz' })), { status: 'ok' });
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    const distributed = process.env.TESSERA_TEST_DB === 'postgres';
    assert.deepEqual(json(ready), { status: 'ok', checks: { database: 'ok', migrations: 'ok', ...(distributed ? { invalidation: 'ok' } : {}) } });
  });
});

describe('CORS off by default', () => {
  test('no AUTH_CORS_ORIGINS: no CORS headers for any origin', async () => {
    const t = await createTestApp();
    try {
      const res = await t.app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://app.example.test' } });
      assert.equal(res.headers['access-control-allow-origin'], undefined);
    } finally {
      await t.close();
    }
  });
});

describe('readiness follows the database', () => {
  test('/readyz is 503 not_ready once the database is gone; /healthz stays 200', async () => {
    const t = await createTestApp();
    try {
      await t.deps.close();
      const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 503);
      assert.equal(json(ready).code, 'not_ready');
      assert.equal(json(ready).details.database, 'failing');
      assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    } finally {
      await t.close();
    }
  });

  test('/readyz is 503 while a migration is pending', async () => {
    const t = await createTestApp();
    try {
      await t.deps.db.deleteFrom('kysely_migration' as never).execute();
      const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 503);
      assert.equal(json(ready).details.migrations, 'failing');
    } finally {
      await t.close();
    }
  });
});
