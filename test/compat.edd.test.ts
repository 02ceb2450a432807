// The edd profile (AUTH_COMPAT_PROFILES=edd): the shapes of the username-and-display-name
// service it replaces, written from its contract (/login, /logout, /me, /admin/users), its
// start-up accounts (DEFAULT_USERNAME/DEFAULT_PASSWORD as a plain user, ADMIN_USERNAME as
// the administrator), over Tessera's admin service and its one sign-in gate.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../src/core/config/index.ts';
import { baseEnv, bearer, createTestApp, json, type TestApp } from './helpers/app.ts';
import { problemsOf } from './helpers/config.ts';

const PASSWORD = 'Edd-Passw0rd-long-enough';
const EDD = { AUTH_COMPAT_PROFILES: 'edd', AUTH_EMAIL_REQUIRED: 'false' };

describe('edd profile: start-up', () => {
  test('the profile requires username-only accounts; its prefix is /edd unless set, and `/` is refused', () => {
    assert.match(problemsOf({ ...baseEnv(), AUTH_COMPAT_PROFILES: 'edd' }).join('\n'), /AUTH_COMPAT_PROFILES=edd: requires AUTH_EMAIL_REQUIRED=false/);
    assert.match(problemsOf({ ...baseEnv(), ...EDD, AUTH_COMPAT_PREFIX_EDD: '/' })[0]!, /^AUTH_COMPAT_PREFIX_EDD: `\/` is refused/);
    assert.equal(loadConfig({ ...baseEnv(), ...EDD }).compatPrefixEdd, '/edd');
    assert.deepEqual(loadConfig({ ...baseEnv(), ...EDD, AUTH_COMPAT_PROFILES: 'edd,myauth' }).compatProfiles, ['edd', 'myauth']);
  });
});

describe('edd profile: the contract', () => {
  let t: TestApp;
  let admin: TestApp;
  let root: string;
  before(async () => {
    // First start: DEFAULT_USERNAME is a plain user; ADMIN_USERNAME names nobody yet.
    t = await createTestApp({ env: { ...EDD, DEFAULT_USERNAME: 'alice', DEFAULT_PASSWORD: PASSWORD, ADMIN_USERNAME: 'root' } });
  });
  after(async () => {
    await admin?.close();
    await t?.close();
  });

  const call = (app: TestApp, method: 'GET' | 'POST' | 'DELETE', path: string, payload?: unknown, token?: string) =>
    app.app.inject({ method, url: `/edd${path}`, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}), headers: token ? bearer(token) : {} });
  async function login(app: TestApp, username: string, password = PASSWORD): Promise<{ token: string; user: Record<string, unknown> }> {
    const res = await call(app, 'POST', '/login', { username, password });
    assert.equal(res.statusCode, 200, res.body);
    return json(res) as { token: string; user: Record<string, unknown> };
  }
  function assertError(res: { statusCode: number; body: string }, status: number, code: string) {
    assert.equal(res.statusCode, status, res.body);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['code', 'error']);
    assert.equal(body.code, code);
    assert.equal(typeof body.error, 'string');
  }

  test('DEFAULT_USERNAME/DEFAULT_PASSWORD is a plain user: login -> {token,user}, /me, no /admin/users', async () => {
    const alice = await login(t, 'alice');
    assert.deepEqual(alice.user, { id: alice.user.id, username: 'alice', display_name: 'alice', is_admin: false });
    const me = await call(t, 'GET', '/me', undefined, alice.token);
    assert.equal(me.statusCode, 200, me.body);
    assert.equal(json(me).username, 'alice');
    assert.equal(json(me).is_admin, false);
    assertError(await call(t, 'GET', '/admin/users', undefined, alice.token), 403, 'forbidden');
    assertError(await call(t, 'POST', '/admin/users', { username: 'mallory', password: PASSWORD, is_admin: true }, alice.token), 403, 'forbidden');
    assertError(await call(t, 'POST', '/login', { username: 'alice', password: 'Wrong-Passw0rd-long' }), 401, 'invalid_credentials');
    assertError(await call(t, 'POST', '/login', { username: 'nobody', password: PASSWORD }), 401, 'invalid_credentials');
    assertError(await call(t, 'POST', '/login', { username: 'alice' }), 400, 'validation_failed');
    assertError(await call(t, 'GET', '/me'), 401, 'unauthorized');
  });

  test('the plain user counts as the first account: a self-registration does not become administrator', async () => {
    const reg = await t.app.inject({ method: 'POST', url: '/auth/register', payload: { username: 'root', password: PASSWORD } });
    assert.equal(reg.statusCode, 201, reg.body);
    assert.notEqual(json(reg).user.role, 'admin');
    const r = await login(t, 'root');
    assert.equal(r.user.is_admin, false);
    root = r.user.id as string;
  });

  test('a start with ADMIN_USERNAME makes that user the administrator; a second start changes nothing more', async () => {
    // Another instance on the same database, as a restart with the variables set.
    admin = await createTestApp({ database: t.database, env: { ...EDD, DEFAULT_USERNAME: 'alice', DEFAULT_PASSWORD: 'Another-Passw0rd-x', ADMIN_USERNAME: 'root' } });
    const r = await login(admin, 'root');
    assert.equal(r.user.id, root);
    assert.equal(r.user.is_admin, true);
    // alice's password is the one she had: the plain user is created once, never reset.
    await login(admin, 'alice');
    assertError(await call(admin, 'POST', '/login', { username: 'alice', password: 'Another-Passw0rd-x' }), 401, 'invalid_credentials');
  });

  test('admin: POST /admin/users with display_name, GET lists them, DELETE removes; bad input is 4xx', async () => {
    const { token } = await login(admin, 'root');
    const created = await call(admin, 'POST', '/admin/users', { username: 'carol', password: PASSWORD, display_name: 'Carol Carter' }, token);
    assert.equal(created.statusCode, 201, created.body);
    assert.deepEqual({ ...json(created), id: undefined, created_at: undefined }, { id: undefined, created_at: undefined, username: 'carol', display_name: 'Carol Carter', is_admin: false });
    const carol = await login(admin, 'carol');
    assert.equal(carol.user.display_name, 'Carol Carter');
    assertError(await call(admin, 'POST', '/admin/users', { username: 'CAROL', password: PASSWORD }, token), 409, 'username_taken');
    assertError(await call(admin, 'POST', '/admin/users', { username: 'erin', password: PASSWORD, email: 'erin@example.com' }, token), 400, 'validation_failed');
    assertError(await call(admin, 'POST', '/admin/users', { username: 'erin', password: 'password' }, token), 400, 'password_too_common');
    assertError(await call(admin, 'POST', '/admin/users', { username: 'x', password: PASSWORD }, token), 400, 'validation_failed');

    const list = await call(admin, 'GET', '/admin/users', undefined, token);
    assert.equal(list.statusCode, 200, list.body);
    const byName = new Map((json(list) as unknown as { username: string; display_name: string; is_admin: boolean }[]).map((u) => [u.username, u]));
    assert.deepEqual([...byName.keys()].sort(), ['alice', 'carol', 'root']);
    assert.equal(byName.get('carol')!.display_name, 'Carol Carter');
    assert.equal(byName.get('root')!.is_admin, true);
    assert.equal(byName.get('alice')!.is_admin, false);

    const del = await call(admin, 'DELETE', `/admin/users/${carol.user.id as string}`, undefined, token);
    assert.equal(del.statusCode, 204, del.body);
    assertError(await call(admin, 'POST', '/login', { username: 'carol', password: PASSWORD }), 401, 'invalid_credentials');
    assertError(await call(admin, 'DELETE', `/admin/users/${randomUUID()}`, undefined, token), 404, 'not_found');
    assertError(await call(admin, 'DELETE', '/admin/users/not-an-id', undefined, token), 400, 'validation_failed');
  });

  test('an administrator made with is_admin cannot remove one who holds more (super_admin)', async () => {
    const { token } = await login(admin, 'root');
    const made = await call(admin, 'POST', '/admin/users', { username: 'dave', password: PASSWORD, is_admin: true }, token);
    assert.equal(made.statusCode, 201, made.body);
    assert.equal(json(made).is_admin, true);
    const dave = await login(admin, 'dave');
    assert.equal(dave.user.is_admin, true);
    assertError(await call(admin, 'DELETE', `/admin/users/${root}`, undefined, dave.token), 403, 'permission_escalation');
    assert.equal((await call(admin, 'GET', '/me', undefined, token)).statusCode, 200);
  });

  test('logout ends this session only', async () => {
    const one = await login(admin, 'alice');
    const two = await login(admin, 'alice');
    const out = await call(admin, 'POST', '/logout', undefined, one.token);
    assert.equal(out.statusCode, 200, out.body);
    assert.deepEqual(json(out), { ok: true });
    assertError(await call(admin, 'GET', '/me', undefined, one.token), 401, json(await call(admin, 'GET', '/me', undefined, one.token)).code);
    assert.equal((await call(admin, 'GET', '/me', undefined, two.token)).statusCode, 200);
  });
});
