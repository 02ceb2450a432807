// POST /auth/register: the contract, the first-admin rule under a race, uniqueness and
// every kind of invalid input.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createTestApp, json, register, uniqueCredentials, type TestApp } from './helpers/app.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('POST /auth/register', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp(); });
  after(async () => { await t.close(); });

  test('201 with the exact response shape; the first user is admin, later ones get the default role', async () => {
    const first = uniqueCredentials('first');
    const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload: first });
    assert.equal(res.statusCode, 201);
    const body = json(res);
    // The foundation's contract plus the verification the email issue adds.
    assert.deepEqual(Object.keys(body).sort(), ['message', 'user', 'verification']);
    assert.equal(body.message, 'Account created');
    assert.deepEqual(Object.keys(body.verification).sort(), ['expiresAt', 'id']);
    assert.match(body.verification.id, UUID);
    assert.deepEqual(Object.keys(body.user).sort(), ['email', 'id', 'role', 'username']);
    assert.match(body.user.id, UUID);
    assert.equal(body.user.role, 'admin');
    assert.equal(body.user.username, first.username);

    const { user } = await register(t.app);
    assert.equal(user.role, 'viewer');
  });

  test('email is stored in lower case and unique case-insensitively', async () => {
    const c = uniqueCredentials('mixed');
    const upper = { ...c, email: c.email.toUpperCase() };
    const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload: upper });
    assert.equal(res.statusCode, 201);
    assert.equal(json(res).user.email, c.email.toLowerCase());

    const again = await t.app.inject({ method: 'POST', url: '/auth/register', payload: { ...uniqueCredentials(), email: c.email } });
    assert.equal(again.statusCode, 409);
    assert.equal(json(again).code, 'email_taken');
  });

  test('duplicate username gives 409 username_taken, case-insensitively', async () => {
    const { creds } = await register(t.app);
    const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload: { ...uniqueCredentials(), username: creds.username.toUpperCase() } });
    assert.equal(res.statusCode, 409);
    assert.equal(json(res).code, 'username_taken');
  });

  test('fields the client may not set, such as role, are refused by name and nothing is created', async () => {
    const creds = uniqueCredentials();
    for (const [field, value] of [['role', 'admin'], ['is_active', false], ['id', '00000000-0000-0000-0000-000000000000']] as const) {
      const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload: { ...creds, [field]: value } });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(json(res).code, 'validation_failed');
      assert.deepEqual(json(res).details, [{ field, message: 'is not an accepted field' }]);
    }
    const row = await t.deps.db.selectFrom('users').select('id').where('email', '=', creds.email).executeTakeFirst();
    assert.equal(row, undefined);
  });

  test('the password is stored only as an argon2id hash', async () => {
    const { creds, user } = await register(t.app);
    const row = await t.deps.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow();
    assert.match(row.password_hash ?? '', /^\$argon2id\$/);
    assert.ok(!row.password_hash?.includes(creds.password));
  });

  const invalid: [string, unknown][] = [
    ['missing username', { email: 'a@example.test', password: 'longenough' }],
    ['missing email', { username: 'someone', password: 'longenough' }],
    ['missing password', { username: 'someone', email: 'a@example.test' }],
    ['bad email', { username: 'someone', email: 'not-an-email', password: 'longenough' }],
    ['empty password', { username: 'someone', email: 'a@example.test', password: '' }],
    ['username over 50 characters', { username: 'u'.repeat(51), email: 'a@example.test', password: 'longenough' }],
    ['username with spaces', { username: 'two words', email: 'a@example.test', password: 'longenough' }],
    ['number as username', { username: 12345, email: 'a@example.test', password: 'longenough' }],
    ['array as password', { username: 'someone', email: 'a@example.test', password: ['longenough'] }],
    ['null email', { username: 'someone', email: null, password: 'longenough' }],
    ['body is an array', [{ username: 'someone', email: 'a@example.test', password: 'longenough' }]],
    ['body is a string', 'hello'],
  ];
  for (const [name, payload] of invalid) {
    test(`400 validation_failed: ${name}`, async () => {
      const res = await t.app.inject({ method: 'POST', url: '/auth/register', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
      assert.equal(res.statusCode, 400, res.body);
      const body = json(res);
      assert.equal(body.code, 'validation_failed');
      assert.equal(typeof body.error, 'string');
    });
  }

  test('a 50-character username and an 8-character password are accepted', async () => {
    const c = uniqueCredentials();
    const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload: { ...c, username: `${c.username}_`.padEnd(50, 'x'), password: 'q7#Lm2vX' } });
    assert.equal(res.statusCode, 201, res.body);
  });

  test('a NUL character anywhere in a body is a 400, never a database error', async () => {
    for (const [url, payload] of [['/auth/login', { username: 'a\u0000b', password: 'x' }], ['/auth/register', { ...uniqueCredentials(), username: 'nul\u0000name' }], ['/auth/passkeys/login/options', { email: '\u0000' }]] as const) {
      const res = await t.app.inject({ method: 'POST', url, payload });
      assert.equal(res.statusCode, 400, url);
      assert.equal(json(res).code, 'validation_failed', url);
    }
  });

  test('malformed JSON gives 400 invalid_json', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/auth/register', headers: { 'content-type': 'application/json' }, payload: '{"username": "x", ' });
    assert.equal(res.statusCode, 400);
    assert.equal(json(res).code, 'invalid_json');
  });

  test('an empty body gives 400', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/auth/register', headers: { 'content-type': 'application/json' }, payload: '' });
    assert.equal(res.statusCode, 400);
    assert.equal(json(res).code, 'validation_failed');
  });

  test('a body over 1 MB gives 413 payload_too_large and creates nothing', async () => {
    const c = uniqueCredentials('huge');
    const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload: { ...c, padding: 'x'.repeat(1024 * 1024) } });
    assert.equal(res.statusCode, 413);
    assert.equal(json(res).code, 'payload_too_large');
    const row = await t.deps.db.selectFrom('users').select('id').where('email', '=', c.email).executeTakeFirst();
    assert.equal(row, undefined);
  });

  for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', 'application/xml']) {
    test(`a ${type.split(';')[0]} body gives 415`, async () => {
      const res = await t.app.inject({ method: 'POST', url: '/auth/register', headers: { 'content-type': type }, payload: 'username=a&email=b&password=c' });
      assert.equal(res.statusCode, 415);
      assert.equal(json(res).code, 'unsupported_media_type');
    });
  }
});

describe('first user becomes admin exactly once', () => {
  test('ten registrations racing on a fresh database make exactly one admin', async () => {
    const t = await createTestApp();
    try {
      const results = await Promise.all(Array.from({ length: 10 }, () => t.app.inject({ method: 'POST', url: '/auth/register', payload: uniqueCredentials('race') })));
      assert.deepEqual(results.map((r) => r.statusCode), Array(10).fill(201));
      const roles = results.map((r) => json(r).user.role).sort();
      assert.deepEqual(roles, ['admin', ...Array(9).fill('viewer')]);
      const admins = await sql<{ n: number }>`select count(*)::int as n from users where role = 'admin'`.execute(t.deps.db);
      assert.equal(admins.rows[0]?.n, 1);
    } finally {
      await t.close();
    }
  });

  test('AUTH_DEFAULT_ROLE sets the role of later users', async () => {
    const t = await createTestApp({ env: { AUTH_DEFAULT_ROLE: 'member' } });
    try {
      assert.equal((await register(t.app)).user.role, 'admin');
      assert.equal((await register(t.app)).user.role, 'member');
    } finally {
      await t.close();
    }
  });

  test('racing duplicates: the same email ten times creates one account, the rest get 409', async () => {
    const t = await createTestApp();
    try {
      const c = uniqueCredentials('dup');
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => t.app.inject({ method: 'POST', url: '/auth/register', payload: { ...c, username: `${c.username}_${i}` } })));
      const codes = results.map((r) => r.statusCode).sort();
      assert.deepEqual(codes, [201, ...Array(9).fill(409)]);
      for (const r of results.filter((x) => x.statusCode === 409)) assert.equal(json(r).code, 'email_taken');
    } finally {
      await t.close();
    }
  });
});
