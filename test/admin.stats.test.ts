// The dashboard's API: GET /admin/stats counts what happened (sign-ins, failures and their
// reasons per UTC day, zeros included; new users; live sessions; MFA adoption) and is
// bounded and guarded; GET /admin/keys and POST /admin/keys/rotate list and rotate the
// signing keys (the new key signs, the old one stays published, no key material leaves).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { bearer, createTestApp, decodeJwtPart, json, login, register, signUp, uniqueCredentials, type Credentials, type SignedIn, type TestApp } from './helpers/app.ts';

const DAY = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('GET /admin/stats', () => {
  let t: TestApp;
  let admin: SignedIn & { creds: Credentials };
  before(async () => { t = await createTestApp(); admin = await signUp(t.app); });
  after(async () => { await t?.close(); });

  const stats = async (query = '', token = admin.accessToken) => t.app.inject({ method: 'GET', url: `/admin/stats${query}`, headers: bearer(token) });
  const fail = async (payload: Record<string, string>) => {
    const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload });
    assert.equal(res.statusCode, 401, res.body);
  };

  test('counts sign-ins, failures with their reasons, new users, live sessions and MFA adoption', async () => {
    const before = json(await stats());
    assert.equal(before.days, 14);
    assert.equal(before.signIns.daily.length, 14);
    assert.equal(before.to, isoDay(Date.now()));
    assert.equal(before.from, isoDay(Date.now() - 13 * DAY));

    // Three more users, each signed in once; one of them twice more.
    const people = [];
    for (let i = 0; i < 3; i++) people.push(await signUp(t.app));
    await login(t.app, people[0]!.creds, 'native');
    await login(t.app, people[0]!.creds, 'native');
    // Four failures: two wrong passwords, two unknown users.
    await fail({ email: people[1]!.creds.email, password: 'not-the-password' });
    await fail({ email: people[2]!.creds.email, password: 'not-the-password' });
    await fail({ email: 'nobody@example.test', password: 'whatever-it-is' });
    await fail({ username: 'nobody_at_all', password: 'whatever-it-is' });
    // One user enrolls TOTP.
    const setup = json(await t.app.inject({ method: 'POST', url: '/auth/mfa/totp/setup', headers: bearer(people[1]!.accessToken) }));
    const enrolled = await t.app.inject({ method: 'POST', url: '/auth/mfa/totp/verify', headers: bearer(people[1]!.accessToken), payload: { code: await generate({ secret: setup.secret, epoch: Math.floor(Date.now() / 1000) }) } });
    assert.equal(enrolled.statusCode, 200, enrolled.body);
    // One session ends.
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/admin/users/${people[2]!.user.id}/sessions`, headers: bearer(admin.accessToken) })).statusCode, 200);

    const res = await stats();
    assert.equal(res.statusCode, 200, res.body);
    const s = json(res);
    const today = s.signIns.daily.at(-1);
    assert.equal(today.date, isoDay(Date.now()));
    assert.equal(today.succeeded - before.signIns.daily.at(-1).succeeded, 5, '3 sign-ins at sign-up, 2 more');
    assert.equal(today.failed - before.signIns.daily.at(-1).failed, 4);
    assert.equal(s.signIns.succeeded, before.signIns.succeeded + 5);
    assert.equal(s.signIns.failed, before.signIns.failed + 4);
    assert.deepEqual(s.signIns.failureReasons, [{ reason: 'unknown_user', count: 2 }, { reason: 'wrong_password', count: 2 }]);
    assert.equal(s.newUsers.daily.at(-1).count, 4, 'the admin and three users, today');
    assert.equal(s.newUsers.total, 4);
    assert.deepEqual(s.users, { total: 4, active: 4, disabled: 0 });
    // The admin's session, people[0]'s three, people[1]'s one; people[2]'s was ended.
    assert.deepEqual(s.sessions, { active: 5, users: 3 });
    assert.deepEqual(s.mfa, {
      users: 4, enrolled: 1, share: 0.25,
      methods: [{ method: 'totp', users: 1 }, { method: 'passkey', users: 0 }, { method: 'email', users: 0 }, { method: 'sms', users: 0 }],
    });
    // Every day but today is zero.
    for (const d of s.signIns.daily.slice(0, -1)) assert.deepEqual([d.succeeded, d.failed], [0, 0], d.date);
    for (const d of s.newUsers.daily.slice(0, -1)) assert.equal(d.count, 0, d.date);
  });

  test('days are UTC days: earlier entries land on their day, older ones fall outside the window', async () => {
    const now = Date.now();
    const startOfToday = Math.floor(now / DAY) * DAY;
    const entry = (at: number, type: string, reason: string | null) => ({
      occurred_at: new Date(at), type, actor_type: 'anonymous', actor_id: null, subject_user_id: null, ip: null, user_agent: null, success: reason === null, reason, details: '{}' as never,
    });
    await t.deps.db.insertInto('audit_log').values([
      // Three days ago, one minute before and one after midnight UTC of the next day.
      entry(startOfToday - 2 * DAY - 60_000, 'user.login_failed', 'passkey_invalid'),
      entry(startOfToday - 2 * DAY + 60_000, 'user.login_succeeded', null),
      entry(startOfToday - 3 * DAY + 1, 'user.login_succeeded', null),
      // Twenty days ago: outside 14 days, inside 30.
      entry(startOfToday - 20 * DAY + 3_600_000, 'user.login_failed', 'account_disabled'),
      // Not a sign-in.
      entry(startOfToday - 3 * DAY + 5, 'user.logout', null),
    ]).execute();

    const s14 = json(await stats('?days=14'));
    const byDay = new Map(s14.signIns.daily.map((d: { date: string; succeeded: number; failed: number }) => [d.date, [d.succeeded, d.failed]]));
    assert.deepEqual(byDay.get(isoDay(startOfToday - 3 * DAY)), [1, 1]);
    assert.deepEqual(byDay.get(isoDay(startOfToday - 2 * DAY)), [1, 0]);
    assert.deepEqual(byDay.get(isoDay(startOfToday - DAY)), [0, 0]);
    assert.ok(!s14.signIns.failureReasons.some((r: { reason: string }) => r.reason === 'account_disabled'), 'outside the window');
    assert.ok(s14.signIns.failureReasons.some((r: { reason: string; count: number }) => r.reason === 'passkey_invalid' && r.count === 1));

    const s30 = json(await stats('?days=30'));
    assert.equal(s30.signIns.daily.length, 30);
    assert.equal(s30.signIns.failed, s14.signIns.failed + 1);
    assert.deepEqual(s30.signIns.daily.find((d: { date: string }) => d.date === isoDay(startOfToday - 20 * DAY)), { date: isoDay(startOfToday - 20 * DAY), succeeded: 0, failed: 1 });
    // Consecutive days, oldest first.
    s30.signIns.daily.forEach((d: { date: string }, i: number) => assert.equal(d.date, isoDay(startOfToday - (29 - i) * DAY)));

    const s1 = json(await stats('?days=1'));
    assert.deepEqual(s1.signIns.daily.map((d: { date: string }) => d.date), [isoDay(now)]);
    assert.equal(s1.from, s1.to);
  });

  test('the window is 1 to 90 days', async () => {
    for (const q of ['?days=0', '?days=91', '?days=-3', '?days=two', '?days=1.5']) {
      const res = await stats(q);
      assert.equal(res.statusCode, 400, `${q}: ${res.body}`);
      assert.equal(json(res).code, 'validation_failed', q);
    }
    assert.equal((await stats('?days=90')).statusCode, 200);
  });

  test('needs audit:read: 401 without a token, 403 for a viewer, 200 for a moderator', async () => {
    const anonymous = await t.app.inject({ method: 'GET', url: '/admin/stats' });
    assert.equal(anonymous.statusCode, 401);
    const viewer = await signUp(t.app);
    const refused = await stats('', viewer.accessToken);
    assert.equal(refused.statusCode, 403);
    assert.equal(json(refused).code, 'forbidden');
    assert.equal(json(refused).details.permission, 'audit:read');
    await t.app.inject({ method: 'PUT', url: `/admin/users/${viewer.user.id}/roles/moderator`, headers: bearer(admin.accessToken) });
    assert.equal((await stats('', viewer.accessToken)).statusCode, 200);
  });
});

describe('GET /admin/keys, POST /admin/keys/rotate', () => {
  let t: TestApp;
  let admin: SignedIn & { creds: Credentials };
  before(async () => { t = await createTestApp(); admin = await signUp(t.app); });
  after(async () => { await t?.close(); });

  test('list and rotate: the new key signs, the old one stays published and verifies, audited', async () => {
    const listed = await t.app.inject({ method: 'GET', url: '/admin/keys', headers: bearer(admin.accessToken) });
    assert.equal(listed.statusCode, 200, listed.body);
    const first = json(listed);
    assert.equal(first.usesSecret, false);
    assert.equal(first.keys.length, 1);
    const [old] = first.keys;
    assert.equal(old.status, 'active');
    assert.equal(decodeJwtPart(admin.accessToken, 0).kid, old.kid);
    assert.deepEqual(Object.keys(old).sort(), ['alg', 'createdAt', 'kid', 'publishedUntil', 'retiredAt', 'status']);

    const rotated = await t.app.inject({ method: 'POST', url: '/admin/keys/rotate', headers: bearer(admin.accessToken) });
    assert.equal(rotated.statusCode, 200, rotated.body);
    const r = json(rotated);
    assert.notEqual(r.active.kid, old.kid);
    assert.equal(r.active.status, 'active');
    assert.deepEqual(r.retired.map((k: { kid: string; status: string }) => [k.kid, k.status]), [[old.kid, 'retired']]);
    assert.ok(Date.parse(r.retired[0].publishedUntil) > Date.now());
    assert.ok(!/private|BEGIN|"d":/.test(rotated.body + listed.body), 'no key material');

    const after = json(await t.app.inject({ method: 'GET', url: '/admin/keys', headers: bearer(admin.accessToken) }));
    assert.deepEqual(after.keys.map((k: { kid: string; status: string }) => [k.kid, k.status]).sort(), [[old.kid, 'retired'], [r.active.kid, 'active']].sort());
    const jwks = json(await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' }));
    assert.deepEqual(jwks.keys.map((k: { kid: string }) => k.kid).sort(), [old.kid, r.active.kid].sort(), 'both published');
    assert.ok(jwks.keys.every((k: Record<string, unknown>) => k.d === undefined), 'public halves only');

    // The old token still works; a new sign-in is signed by the new key.
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(admin.accessToken) })).statusCode, 200);
    const again = await login(t.app, admin.creds, 'native');
    assert.equal(decodeJwtPart(again.accessToken, 0).kid, r.active.kid);
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(again.accessToken) })).statusCode, 200);

    const audit = json(await t.app.inject({ method: 'GET', url: '/admin/audit?type=key.rotated', headers: bearer(admin.accessToken) })).entries;
    assert.equal(audit.length, 1);
    assert.deepEqual(audit[0].actor, { type: 'user', id: admin.user.id });
    assert.deepEqual(audit[0].details, { kid: r.active.kid, alg: r.active.alg, retired: [old.kid], deleted: [] });
  });

  test('keys:read and keys:manage come with the admin role; others get 403', async () => {
    const viewer = await signUp(t.app);
    for (const [method, url] of [['GET', '/admin/keys'], ['POST', '/admin/keys/rotate']] as const) {
      const res = await t.app.inject({ method, url, headers: bearer(viewer.accessToken) });
      assert.equal(res.statusCode, 403, `${method} ${url}`);
      assert.equal(json(res).code, 'forbidden');
      assert.equal(json(res).details.permission, url.endsWith('rotate') ? 'keys:manage' : 'keys:read');
      assert.equal((await t.app.inject({ method, url })).statusCode, 401);
    }
    // An admin that is not super_admin (no `*`) holds both through the admin role.
    const { creds, user } = await register(t.app, uniqueCredentials('keeper'));
    await t.app.inject({ method: 'PATCH', url: `/admin/users/${user.id}`, headers: bearer(admin.accessToken), payload: { role: 'admin' } });
    const keeper = await login(t.app, creds, 'native');
    const perms = json(await t.app.inject({ method: 'GET', url: '/auth/permissions', headers: bearer(keeper.accessToken) })).permissions as string[];
    assert.ok(!perms.includes('*') && perms.includes('keys:read') && perms.includes('keys:manage'), perms.join(' '));
    assert.equal((await t.app.inject({ method: 'GET', url: '/admin/keys', headers: bearer(keeper.accessToken) })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'POST', url: '/admin/keys/rotate', headers: bearer(keeper.accessToken), payload: {} })).statusCode, 200);
  });

  test('with AUTH_JWT_SECRET there is nothing to rotate: 409 keys_managed_by_secret', async () => {
    const h = await createTestApp({ env: { AUTH_JWT_SECRET: 'a-test-secret-that-is-long-enough-0123456789' } });
    try {
      const a = await signUp(h.app);
      const listed = json(await h.app.inject({ method: 'GET', url: '/admin/keys', headers: bearer(a.accessToken) }));
      assert.equal(listed.usesSecret, true);
      const res = await h.app.inject({ method: 'POST', url: '/admin/keys/rotate', headers: bearer(a.accessToken) });
      assert.equal(res.statusCode, 409);
      assert.equal(json(res).code, 'keys_managed_by_secret');
    } finally {
      await h.close();
    }
  });
});
