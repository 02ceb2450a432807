// POST /auth/login: the contract, cookie attributes, native clients, username sign-in,
// enumeration resistance, disabled accounts, legacy hashes and last_login.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { hash as argonHash } from '@node-rs/argon2';
import { randomUUID } from 'node:crypto';
import { bearer, createTestApp, json, login, refreshCookie, register, uniqueCredentials, type TestApp } from './helpers/app.ts';

describe('POST /auth/login', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp(); });
  after(async () => { await t.close(); });

  test('200 with accessToken and user, and the refresh cookie with every attribute', async () => {
    const { creds, user } = await register(t.app);
    const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: creds.password } });
    assert.equal(res.statusCode, 200);
    const body = json(res);
    assert.deepEqual(Object.keys(body).sort(), ['accessToken', 'user']);
    assert.deepEqual(body.user, user);
    assert.equal(body.accessToken.split('.').length, 3);
    const cookie = refreshCookie(res);
    assert.ok(cookie, 'refresh_token cookie set');
    assert.match(cookie.value, /^[A-Za-z0-9_-]{91}$/, 'a family token: session id, generation, 256-bit random secret and tag, base64url');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.secure, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/auth');
    assert.equal(cookie.maxAge, 7 * 24 * 3600);
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  test('email matching is case-insensitive', async () => {
    const { creds } = await register(t.app);
    const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email.toUpperCase(), password: creds.password } });
    assert.equal(res.statusCode, 200);
  });

  test('username may replace the email', async () => {
    const { creds, user } = await register(t.app);
    const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: creds.username, password: creds.password } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(json(res).user.id, user.id);
  });

  test('a native client gets the refresh token in the body and no cookie', async () => {
    const { creds } = await register(t.app);
    const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: creds.password, client: 'native' } });
    assert.equal(res.statusCode, 200);
    const body = json(res);
    assert.match(body.refreshToken, /^[A-Za-z0-9_-]{91}$/);
    assert.equal(refreshCookie(res), undefined);
    assert.equal(res.headers['set-cookie'], undefined);
  });

  test('wrong password and unknown email give the same 401 body', async () => {
    const { creds } = await register(t.app);
    const wrong = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: 'not-the-password' } });
    const unknown = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: `nobody.${randomUUID()}@example.test`, password: 'not-the-password' } });
    const unknownName = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: `nobody_${Date.now()}`, password: 'not-the-password' } });
    assert.equal(wrong.statusCode, 401);
    assert.equal(unknown.statusCode, 401);
    assert.equal(unknownName.statusCode, 401);
    assert.equal(wrong.body, unknown.body);
    assert.equal(wrong.body, unknownName.body);
    assert.deepEqual(json(wrong), { error: 'Invalid email or password', code: 'invalid_credentials' });
    assert.equal(refreshCookie(wrong), undefined);
  });

  test('a disabled user cannot log in; a wrong password for them still says only invalid_credentials', async () => {
    const { creds, user } = await register(t.app);
    await t.deps.db.updateTable('users').set({ is_active: false }).where('id', '=', user.id).execute();
    const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: creds.password } });
    assert.equal(res.statusCode, 403);
    assert.equal(json(res).code, 'account_disabled');
    assert.equal(refreshCookie(res), undefined);
    const wrong = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: 'not-the-password' } });
    assert.equal(json(wrong).code, 'invalid_credentials');
    const sessions = await t.deps.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute();
    assert.equal(sessions.length, 0);
  });

  test('updates last_login, visible in /auth/me', async () => {
    const { creds, user } = await register(t.app);
    const before = await t.deps.db.selectFrom('users').select('last_login').where('id', '=', user.id).executeTakeFirstOrThrow();
    assert.equal(before.last_login, null);
    const started = Date.now();
    const s = await login(t.app, creds);
    const me = json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) }));
    const at = Date.parse(me.lastLogin);
    assert.ok(at >= started - 1000 && at <= Date.now() + 1000, `lastLogin ${me.lastLogin} is now`);
    assert.match(me.lastLogin, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  for (const prefix of ['$2a$', '$2b$', '$2y$']) {
    test(`an imported bcrypt hash (${prefix}) signs in and is rehashed to argon2id`, async () => {
      const creds = uniqueCredentials('imported');
      const legacy = prefix + bcrypt.hashSync(creds.password, 4).slice(4);
      const id = randomUUID();
      await t.deps.db.insertInto('users').values({ id, username: creds.username, email: creds.email, password_hash: legacy, role: 'viewer' }).execute();
      const wrong = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: 'wrong-password' } });
      assert.equal(wrong.statusCode, 401);
      const unchanged = await t.deps.db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(unchanged.password_hash, legacy, 'a failed login does not rehash');

      await login(t.app, creds);
      const row = await t.deps.db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirstOrThrow();
      assert.match(row.password_hash ?? '', /^\$argon2id\$v=19\$m=4096,t=1,p=1\$/);
      await login(t.app, creds); // the new hash verifies
    });
  }

  test('an argon2id hash with other parameters is upgraded on sign-in', async () => {
    const creds = uniqueCredentials('oldparams');
    const old = await argonHash(creds.password, { memoryCost: 8192, timeCost: 3, parallelism: 1 });
    const id = randomUUID();
    await t.deps.db.insertInto('users').values({ id, username: creds.username, email: creds.email, password_hash: old, role: 'viewer' }).execute();
    await login(t.app, creds);
    const row = await t.deps.db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirstOrThrow();
    assert.notEqual(row.password_hash, old);
    assert.match(row.password_hash ?? '', /m=4096,t=1,p=1/);
  });

  test('a user without a password (to be set by another flow) cannot log in', async () => {
    const creds = uniqueCredentials('nopass');
    await t.deps.db.insertInto('users').values({ id: randomUUID(), username: creds.username, email: creds.email, password_hash: null, role: 'viewer' }).execute();
    const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: 'anything-at-all' } });
    assert.equal(res.statusCode, 401);
    assert.equal(json(res).code, 'invalid_credentials');
  });

  const invalid: [string, unknown][] = [
    ['neither email nor username', { password: 'something' }],
    ['missing password', { email: 'a@example.test' }],
    ['empty password', { email: 'a@example.test', password: '' }],
    ['password not a string', { email: 'a@example.test', password: 12345678 }],
    ['unknown client kind', { email: 'a@example.test', password: 'something', client: 'NATIVE APP!' }],
  ];
  for (const [name, payload] of invalid) {
    test(`400 validation_failed: ${name}`, async () => {
      const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload: payload as object });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(json(res).code, 'validation_failed');
    });
  }
});

describe('login cookie settings', () => {
  test('AUTH_SESSION_SECURE_COOKIES=false and AUTH_SESSION_SAME_SITE=lax change the cookie', async () => {
    const t = await createTestApp({ env: { AUTH_SESSION_SECURE_COOKIES: 'false', AUTH_SESSION_SAME_SITE: 'lax', AUTH_REFRESH_TOKEN_EXPIRY: '1h' } });
    try {
      const { creds } = await register(t.app);
      const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload: creds });
      const cookie = refreshCookie(res);
      assert.ok(cookie);
      assert.notEqual(cookie.secure, true);
      assert.equal(cookie.sameSite, 'Lax');
      assert.equal(cookie.maxAge, 3600);
    } finally {
      await t.close();
    }
  });
});

describe('login timing does not reveal whether an account exists', () => {
  test('unknown emails cost a password hash like wrong passwords do (default argon2 parameters)', async () => {
    // Lockout would stop the eight failures on one account; it has its own timing test.
    const t = await createTestApp({ env: { AUTH_PASSWORD_ARGON2_MEMORY: '19456', AUTH_PASSWORD_ARGON2_ITERATIONS: '2', AUTH_ACCOUNT_LOCKOUT_ATTEMPTS: '50' } });
    try {
      const { creds } = await register(t.app);
      const time = async (email: string) => {
        const started = process.hrtime.bigint();
        const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: 'wrong-password-here' } });
        assert.equal(res.statusCode, 401);
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      await time(creds.email); // warm up
      await time('warm.up@example.test');
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 9; i++) {
        known.push(await time(creds.email));
        unknown.push(await time(`ghost${i}@example.test`));
      }
      // The fastest of each: a busy machine only adds time, so the minimum is the
      // closest to each path's own cost (a median still moves with the load of
      // the other test files running beside this one).
      const k = Math.min(...known);
      const u = Math.min(...unknown);
      // Without the dummy hash an unknown email answers in a small fraction of the hash.
      assert.ok(u > k * 0.5 && u < k * 2, `fastest unknown ${u.toFixed(1)} ms vs wrong password ${k.toFixed(1)} ms`);
    } finally {
      await t.close();
    }
  });
});
