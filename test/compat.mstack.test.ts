// The mstack profile (AUTH_COMPAT_PROFILES=mstack): the request and response shapes of the
// Fastify username-and-password service it replaces, written from its contract, over
// Tessera's services and its one sign-in gate.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import { ManualClock } from '../src/core/clock.ts';
import { ConfigError, loadConfig } from '../src/core/config/index.ts';
import { baseEnv, bearer, createTestApp, json, type TestApp } from './helpers/app.ts';

const MSTACK = { AUTH_COMPAT_PROFILES: 'mstack', AUTH_EMAIL_REQUIRED: 'false', AUTH_REFRESH_TOKEN_ROTATION: 'false' };
const T0 = Date.parse('2026-04-01T12:00:10Z');
const PASSWORD = 'Mstack-Passw0rd-long';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...baseEnv(), ...env });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('mstack profile: start-up', () => {
  test('the profile requires username-only accounts and a refresh token that does not rotate', () => {
    const p = problemsOf({ AUTH_COMPAT_PROFILES: 'mstack' });
    assert.ok(p.some((x) => /^AUTH_COMPAT_PROFILES=mstack: requires AUTH_EMAIL_REQUIRED=false/.test(x)), p.join('\n'));
    assert.ok(p.some((x) => /^AUTH_COMPAT_PROFILES=mstack: requires AUTH_REFRESH_TOKEN_ROTATION=false/.test(x)), p.join('\n'));
    assert.match(problemsOf({ ...MSTACK, AUTH_COMPAT_PREFIX_MSTACK: '/' })[0]!, /^AUTH_COMPAT_PREFIX_MSTACK: `\/` is refused/);
    assert.match(problemsOf({ ...MSTACK, AUTH_COMPAT_PREFIX_MSTACK: 'no-slash' })[0]!, /^AUTH_COMPAT_PREFIX_MSTACK: expected/);
    assert.match(problemsOf({ AUTH_COMPAT_PROFILES: 'nope' })[0]!, /^AUTH_COMPAT_PROFILES: expected a comma list of myauth, mstack, edd/);
    assert.equal(loadConfig({ ...baseEnv(), ...MSTACK, AUTH_COMPAT_PREFIX_MSTACK: '/legacy/' }).compatPrefixMstack, '/legacy');
  });
});

describe('mstack profile: the contract', () => {
  const clock = new ManualClock(T0);
  let t: TestApp;
  before(async () => { t = await createTestApp({ clock, env: MSTACK }); });
  after(async () => { await t.close(); });

  const post = (path: string, payload: unknown, headers: Record<string, string> = {}) => t.app.inject({ method: 'POST', url: `/mstack/auth${path}`, payload: payload as Record<string, unknown>, headers });
  const name = () => `ms_${randomBytes(4).toString('hex')}`;
  async function signup(): Promise<string> {
    const username = name();
    const res = await post('/signup', { username, password: PASSWORD });
    assert.equal(res.statusCode, 201, res.body);
    return username;
  }

  test('signup {username,password} -> {success:true,message}; 409 when taken; 400 for a bad body', async () => {
    const username = name();
    const ok = await post('/signup', { username, password: PASSWORD });
    assert.equal(ok.statusCode, 201);
    assert.deepEqual(json(ok), { success: true, message: 'User created' });
    const taken = await post('/signup', { username: username.toUpperCase(), password: PASSWORD });
    assert.equal(taken.statusCode, 409);
    assert.deepEqual(json(taken), { success: false, message: 'This username is taken' });
    for (const bad of [{ username: name() }, { password: PASSWORD }, { username: name(), password: PASSWORD, email: 'x@example.com', role: 'admin' }, { username: 5, password: PASSWORD }]) {
      const res = await post('/signup', bad);
      assert.equal(res.statusCode, 400, JSON.stringify(bad));
      assert.equal(json(res).success, false);
      assert.equal(typeof json(res).message, 'string');
      assert.deepEqual(Object.keys(json(res)).sort(), ['message', 'success']);
    }
    const weak = await post('/signup', { username: name(), password: 'password' });
    assert.equal(weak.statusCode, 400, weak.body);
    assert.equal(json(weak).success, false);
    // The account is Tessera's: no email, and usable through Tessera's own API too.
    const me = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username, password: PASSWORD, client: 'native' } });
    assert.equal(me.statusCode, 200, me.body);
    assert.equal(json(me).user.email, null);
  });

  test('login -> {token,refreshToken}; 401 {success:false} for a wrong password or an unknown user', async () => {
    const username = await signup();
    const res = await post('/login', { username, password: PASSWORD });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(Object.keys(json(res)).sort(), ['refreshToken', 'token']);
    const me = await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(json(res).token) });
    assert.equal(json(me).username, username);
    for (const wrong of [{ username, password: `${PASSWORD}x` }, { username: name(), password: PASSWORD }]) {
      const r = await post('/login', wrong);
      assert.equal(r.statusCode, 401);
      assert.deepEqual(json(r), { success: false, message: 'Invalid email or password' });
    }
  });

  test('GET verify -> {valid:true,user:{username}} with the bearer token; 401 without or after logout', async () => {
    const username = await signup();
    const { token, refreshToken } = json(await post('/login', { username, password: PASSWORD }));
    const ok = await t.app.inject({ method: 'GET', url: '/mstack/auth/verify', headers: bearer(token) });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(json(ok), { valid: true, user: { username } });
    const none = await t.app.inject({ method: 'GET', url: '/mstack/auth/verify' });
    assert.equal(none.statusCode, 401);
    assert.equal(json(none).success, false);
    const garbage = await t.app.inject({ method: 'GET', url: '/mstack/auth/verify', headers: bearer('not.a.token') });
    assert.equal(garbage.statusCode, 401);
    await post('/logout', { refreshToken });
    assert.equal((await t.app.inject({ method: 'GET', url: '/mstack/auth/verify', headers: bearer(token) })).statusCode, 401, 'the session is over');
  });

  test('refresh {refreshToken} -> {token}, again and again with the same refresh token', async () => {
    const username = await signup();
    const { refreshToken } = json(await post('/login', { username, password: PASSWORD }));
    for (let i = 0; i < 3; i++) {
      clock.advance(60_000); // well past the reuse interval: a rotating token would be seen as stolen
      const r = await post('/refresh', { refreshToken });
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(Object.keys(json(r)), ['token']);
      assert.equal(json(await t.app.inject({ method: 'GET', url: '/mstack/auth/verify', headers: bearer(json(r).token) })).user.username, username);
    }
    const bad = await post('/refresh', { refreshToken: 'nope' });
    assert.equal(bad.statusCode, 401);
    assert.equal(json(bad).success, false);
    assert.equal((await post('/refresh', {})).statusCode, 400);
  });

  test('logout {refreshToken} ends that session only', async () => {
    const username = await signup();
    const a = json(await post('/login', { username, password: PASSWORD }));
    const b = json(await post('/login', { username, password: PASSWORD }));
    const out = await post('/logout', { refreshToken: a.refreshToken });
    assert.equal(out.statusCode, 200);
    assert.deepEqual(json(out), { success: true, message: 'Logged out' });
    assert.equal((await post('/refresh', { refreshToken: a.refreshToken })).statusCode, 401);
    assert.equal((await post('/refresh', { refreshToken: b.refreshToken })).statusCode, 200, 'the other session stays');
  });

  test('sign-in goes through the gate: a second factor or a disabled account stops it', async () => {
    const username = await signup();
    const first = json(await post('/login', { username, password: PASSWORD }));
    const setup = json(await t.app.inject({ method: 'POST', url: '/auth/mfa/totp/setup', headers: bearer(first.token) }));
    const code = await generate({ secret: setup.secret, epoch: Math.floor(clock.now() / 1000) });
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/mfa/totp/verify', headers: bearer(first.token), payload: { code } })).statusCode, 200);
    const mfa = await post('/login', { username, password: PASSWORD });
    assert.equal(mfa.statusCode, 401);
    assert.deepEqual(json(mfa), { success: false, message: 'mfa_required' });
    assert.ok(!('token' in json(mfa)) && !('verification_id' in json(mfa)));

    const other = await signup();
    const user = await t.deps.users.findByUsername(other);
    await t.deps.db.updateTable('users').set({ is_active: false }).where('id', '=', user!.id).execute();
    await t.deps.users.changed(user!.id);
    const disabled = await post('/login', { username: other, password: PASSWORD });
    assert.equal(disabled.statusCode, 403);
    assert.deepEqual(json(disabled), { success: false, message: 'This account is disabled' });
  });

  test("Tessera's own routes are untouched", async () => {
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'x', password: 'y', client: 'native' } })).json().code, 'invalid_credentials');
  });
});

describe('mstack profile: prefix and opt-in', () => {
  test('served under AUTH_COMPAT_PREFIX_MSTACK, and not at all when the profile is off', async () => {
    const t = await createTestApp({ env: { ...MSTACK, AUTH_COMPAT_PREFIX_MSTACK: '/legacy/v1' } });
    try {
      assert.equal((await t.app.inject({ method: 'POST', url: '/legacy/v1/auth/signup', payload: { username: 'prefixed_user', password: PASSWORD } })).statusCode, 201);
      assert.equal((await t.app.inject({ method: 'GET', url: '/mstack/auth/verify' })).statusCode, 404);
    } finally {
      await t.close();
    }
    const off = await createTestApp();
    try {
      assert.equal((await off.app.inject({ method: 'GET', url: '/mstack/auth/verify' })).statusCode, 404);
      assert.equal((await off.app.inject({ method: 'POST', url: '/mstack/auth/refresh' })).statusCode, 404);
    } finally {
      await off.close();
    }
  });
});
