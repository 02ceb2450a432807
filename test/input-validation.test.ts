// What the server does with input it must not take (issue 33): an unknown field is
// refused by name rather than dropped (an administrator's {"isActive": false} must not
// answer 200 and change nothing), free-form metadata is bounded in depth and size, and
// NUL characters, unpaired surrogates and deep nesting anywhere in a request are a 400,
// never a 500 from PostgreSQL or an overflowed stack.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, createTestApp, json, signUp, type SignedIn, type TestApp } from './helpers/app.ts';

const JSON_TYPE = { 'content-type': 'application/json' };

function assertRefused(res: { statusCode: number; body: string }, field: string, message?: RegExp): void {
  assert.equal(res.statusCode, 400, res.body);
  const body = JSON.parse(res.body) as { code: string; details?: { field: string; message: string }[] };
  assert.equal(body.code, 'validation_failed', res.body);
  assert.equal(body.details?.[0]?.field, field, res.body);
  if (message) assert.match(body.details![0]!.message, message, res.body);
}

describe('hostile admin input', () => {
  let t: TestApp;
  let admin: SignedIn;
  let target: SignedIn;
  const user = () => `/admin/users/${target.user.id}`;
  const patch = (payload: string) => t.app.inject({ method: 'PATCH', url: user(), headers: { ...bearer(admin.accessToken), ...JSON_TYPE }, payload });
  const stored = async () => t.deps.db.selectFrom('users').select(['is_active', 'metadata', 'email_verified']).where('id', '=', target.user.id).executeTakeFirstOrThrow();

  before(async () => {
    t = await createTestApp({ logLevel: 'error' });
    admin = await signUp(t.app);
    target = await signUp(t.app);
  });
  after(async () => { await t.close(); });

  test('PATCH /admin/users/:id {"isActive": false} is 400 naming isActive, and the user stays active', async () => {
    assertRefused(await patch('{"isActive":false}'), 'isActive', /not an accepted field/);
    // Beside a known field too: nothing of the request is applied.
    assertRefused(await patch('{"emailVerified":true,"isActive":false}'), 'isActive');
    const row = await stored();
    assert.equal(row.is_active, true);
    assert.equal(row.email_verified, false);
    const me = await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(target.accessToken) });
    assert.equal(me.statusCode, 200, 'the user can still use their session');
  });

  test('an unknown field inside a nested object is named with its path', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/auth/passkeys/login/verify', headers: JSON_TYPE, payload: { response: { id: 'x', type: 'public-key', response: {} }, extra: 1 } });
    assertRefused(res, 'extra');
  });

  test('metadata nested 5,000 levels deep is 400, not 500', async () => {
    assertRefused(await patch(`{"metadata":{"a":${'['.repeat(5000)}${']'.repeat(5000)}}}`), 'metadata', /nested too deeply/);
    assertRefused(await patch(`{"metadata":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`), 'metadata', /nested too deeply/);
    // Far past what any stack holds: JSON.parse and the checks walk it without recursing.
    assertRefused(await patch(`{"metadata":{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`), 'metadata', /nested too deeply/);
    assert.deepEqual((await stored()).metadata, {});
  });

  test('metadata: at most 10 levels deep and 16 KiB of JSON by default', async () => {
    const nested = (levels: number): unknown => (levels === 1 ? { leaf: true } : { a: nested(levels - 1) });
    const ok = await patch(JSON.stringify({ metadata: nested(10) }));
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual((await stored()).metadata, nested(10));
    assertRefused(await patch(JSON.stringify({ metadata: nested(11) })), 'metadata', /at most 10 levels/);
    // Bytes, not characters: 6,000 three-byte characters are 18,000 bytes.
    assertRefused(await patch(JSON.stringify({ metadata: { s: '€'.repeat(6000) } })), 'metadata', /at most 16384 bytes/);
    assert.equal((await patch(JSON.stringify({ metadata: { s: 'x'.repeat(16_000) } }))).statusCode, 200);
    const create = await t.app.inject({ method: 'POST', url: '/admin/users', headers: bearer(admin.accessToken), payload: { username: 'deep_meta', email: 'deep.meta@example.test', metadata: nested(11) } });
    assertRefused(create, 'metadata', /at most 10 levels/);
  });

  test('a lone surrogate or a NUL in metadata is 400, not 500', async () => {
    assertRefused(await patch('{"metadata":{"a":"\\ud800"}}'), 'metadata.a', /unpaired surrogate/);
    assertRefused(await patch('{"metadata":{"a":["ok","x\\udc00y"]}}'), 'metadata.a.1', /unpaired surrogate/);
    assertRefused(await patch('{"metadata":{"\\ud800":"x"}}'), 'metadata', /field name/);
    assertRefused(await patch('{"metadata":{"a":"x\\u0000y"}}'), 'metadata.a', /NUL/);
    // A surrogate pair is a character like any other.
    const ok = await patch('{"metadata":{"emoji":"\\ud83d\\ude00"}}');
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual((await stored()).metadata, { emoji: '😀' });
  });

  test('GET /admin/users?q=%00 is 400, not 500; so are other bad query strings and path parameters', async () => {
    const get = (url: string) => t.app.inject({ method: 'GET', url, headers: bearer(admin.accessToken) });
    assertRefused(await get('/admin/users?q=%00'), 'q', /NUL/);
    assertRefused(await get('/admin/users?q=a%00b&limit=5'), 'q', /NUL/);
    assertRefused(await get('/admin/users?cursor=%00'), 'cursor', /NUL/);
    // An unknown parameter is dropped (query strings stay lenient), but not a NUL in it.
    assertRefused(await get('/admin/users?utm_source=%00'), 'utm_source', /NUL/);
    assertRefused(await t.app.inject({ method: 'PUT', url: `${user()}/roles/x%00`, headers: bearer(admin.accessToken) }), 'role', /NUL/);
    const fine = await get('/admin/users?q=%E2%82%AC&utm_source=mail');
    assert.equal(fine.statusCode, 200, fine.body);
  });

  test('a route that takes no body refuses fields, and accepts none or {}', async () => {
    const post = (payload?: string) => t.app.inject({ method: 'POST', url: `${user()}/unlock`, headers: { ...bearer(admin.accessToken), ...(payload === undefined ? {} : JSON_TYPE) }, ...(payload === undefined ? {} : { payload }) });
    assertRefused(await post('{"force":true}'), 'force', /takes no body/);
    assertRefused(await post('[1]'), 'body', /takes no body/);
    assert.equal((await post()).statusCode, 200);
    assert.equal((await post('{}')).statusCode, 200);
    const disable = await t.app.inject({ method: 'POST', url: `${user()}/disable`, headers: { ...bearer(admin.accessToken), ...JSON_TYPE }, payload: '{"reason":"spam"}' });
    assertRefused(disable, 'reason');
    assert.equal((await stored()).is_active, true);
  });

  test('NUL and unpaired surrogates in any JSON body, and deep nesting of any body, are refused', async () => {
    const login = (payload: string) => t.app.inject({ method: 'POST', url: '/auth/login', headers: JSON_TYPE, payload });
    assertRefused(await login('{"email":"a\\u0000@example.test","password":"x"}'), 'email', /NUL/);
    assertRefused(await login('{"email":"a@example.test","password":"\\udfff"}'), 'password', /unpaired surrogate/);
    assertRefused(await login(`{"email":"a@example.test","password":${'['.repeat(5000)}${']'.repeat(5000)}}`), 'password', /nested too deeply/);
    assertRefused(await login(`${'['.repeat(5000)}${']'.repeat(5000)}`), 'body', /nested too deeply/);
    // A backslash followed by "u0000" is text, not a NUL.
    const literal = await login(JSON.stringify({ email: 'nobody@example.test', password: '\\u0000' }));
    assert.equal(literal.statusCode, 401, literal.body);
  });

  test('form bodies are checked too (POST /auth/token)', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/auth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=client_credentials&client_id=%00&client_secret=x' });
    assertRefused(res, 'client_id', /NUL/);
  });
});

describe('configured metadata limits and the OpenAPI document', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp({ env: { AUTH_METADATA_MAX_DEPTH: '2', AUTH_METADATA_MAX_BYTES: '300' } }); });
  after(async () => { await t.close(); });

  test('AUTH_METADATA_MAX_DEPTH and AUTH_METADATA_MAX_BYTES bound metadata', async () => {
    const admin = await signUp(t.app);
    const patch = (metadata: unknown) => t.app.inject({ method: 'PATCH', url: `/admin/users/${admin.user.id}`, headers: bearer(admin.accessToken), payload: { metadata } });
    assert.equal((await patch({ a: { b: 1 } })).statusCode, 200);
    assertRefused(await patch({ a: { b: [] } }), 'metadata', /at most 2 levels/);
    assertRefused(await patch({ s: 'x'.repeat(300) }), 'metadata', /at most 300 bytes/);
  });

  test('every documented body is closed unless it says otherwise, and shows its limits', async () => {
    const doc = json(await t.app.inject({ method: 'GET', url: '/openapi.json' })) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>> };
    const open: string[] = [];
    let bodies = 0;
    const visit = (s: unknown, where: string) => {
      if (typeof s !== 'object' || s === null) return;
      const o = s as Record<string, unknown>;
      if (o.type === 'object' && o.additionalProperties === undefined) open.push(where);
      for (const [k, v] of Object.entries(o.properties ?? {})) visit(v, `${where}.${k}`);
      if (o.items) visit(o.items, `${where}[]`);
    };
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const media of Object.values(op.requestBody?.content ?? {})) { bodies++; visit(media.schema, `${method.toUpperCase()} ${path}`); }
      }
    }
    assert.ok(bodies > 40, `found ${bodies} bodies`);
    assert.deepEqual(open, []);
    const patch = doc.paths['/admin/users/{id}']!.patch!.requestBody!.content['application/json']!.schema as { properties: { metadata: Record<string, unknown> } };
    assert.deepEqual(patch.properties.metadata['x-free-form'], { maxDepth: 2, maxBytes: 300 });
    assert.equal(patch.properties.metadata.additionalProperties, true);
  });
});
