// Sessions and devices: list, current, revoke one, sign out elsewhere, idle timeout,
// the active-session limit, and cheap reads on /auth/me.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../src/core/clock.ts';
import { bearer, createTestApp, decodeJwtPart, json, refreshCookie, register, signUp, type Credentials, type TestApp } from './helpers/app.ts';

const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

async function loginAs(t: TestApp, creds: Credentials, opts: { ua?: string; ip?: string; client?: string } = {}) {
  const res = await t.app.inject({
    method: 'POST', url: '/auth/login', remoteAddress: opts.ip ?? '127.0.0.1',
    headers: opts.ua ? { 'user-agent': opts.ua } : {},
    payload: { email: creds.email, password: creds.password, client: opts.client ?? 'native' },
  });
  assert.equal(res.statusCode, 200, res.body);
  const body = json(res);
  return { accessToken: body.accessToken as string, refreshToken: (body.refreshToken ?? refreshCookie(res)?.value) as string, sid: decodeJwtPart(body.accessToken, 1).sid as string };
}

const listSessions = async (t: TestApp, token: string) => {
  const res = await t.app.inject({ method: 'GET', url: '/auth/sessions', headers: bearer(token) });
  assert.equal(res.statusCode, 200, res.body);
  return json(res).sessions as Record<string, any>[];
};

describe('GET /auth/sessions and /auth/sessions/current', () => {
  const clock = new ManualClock();
  let t: TestApp;
  before(async () => { t = await createTestApp({ clock }); });
  after(async () => { await t.close(); });

  test('lists active sessions newest first with device fields parsed from real user agents', async () => {
    const { creds } = await register(t.app);
    const laptop = await loginAs(t, creds, { ua: FIREFOX_WINDOWS, ip: '198.51.100.7', client: 'web' });
    clock.advance(1000);
    const phone = await loginAs(t, creds, { ua: SAFARI_IPHONE, ip: '203.0.113.9' });
    const sessions = await listSessions(t, phone.accessToken);
    assert.deepEqual(sessions.map((s) => s.id), [phone.sid, laptop.sid]);
    const [p, l] = sessions as [Record<string, any>, Record<string, any>];
    assert.equal(p.current, true);
    assert.equal(l.current, false);
    assert.deepEqual({ browser: l.browser, os: l.os, deviceType: l.deviceType, client: l.client, ip: l.ip, userAgent: l.userAgent },
      { browser: 'Firefox 121', os: 'Windows 10', deviceType: 'desktop', client: 'web', ip: '198.51.100.7', userAgent: FIREFOX_WINDOWS });
    assert.deepEqual({ browser: p.browser, os: p.os, deviceType: p.deviceType, client: p.client, ip: p.ip },
      { browser: 'Mobile Safari 17', os: 'iOS 17.1', deviceType: 'mobile', client: 'native', ip: '203.0.113.9' });
    assert.deepEqual(p.amr, ['pwd']);
    assert.equal(p.location, null, 'no GeoIP database configured');
    assert.equal(p.idleExpiresAt, null, 'no idle timeout configured');
    assert.equal(Date.parse(p.expiresAt) - Date.parse(p.createdAt), 7 * 86400 * 1000);

    const current = await t.app.inject({ method: 'GET', url: '/auth/sessions/current', headers: bearer(laptop.accessToken) });
    assert.equal(current.statusCode, 200);
    assert.equal(json(current).id, laptop.sid);
    assert.equal(json(current).current, true);
  });

  test('sessions of other users never appear; revoked ones disappear', async () => {
    const a = await signUp(t.app);
    const b = await signUp(t.app);
    const second = await loginAs(t, a.creds);
    assert.equal((await listSessions(t, a.accessToken)).length, 2);
    assert.equal((await listSessions(t, b.accessToken)).length, 1);
    await t.app.inject({ method: 'DELETE', url: `/auth/sessions/${second.sid}`, headers: bearer(a.accessToken) });
    assert.deepEqual((await listSessions(t, a.accessToken)).map((s) => s.id), [decodeJwtPart(a.accessToken, 1).sid]);
  });

  test('needs a bearer token', async () => {
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/sessions' })).statusCode, 401);
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/sessions/current', headers: bearer('x.y.z') })).statusCode, 401);
  });
});

describe('DELETE /auth/sessions/:id and DELETE /auth/sessions', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp(); });
  after(async () => { await t.close(); });

  test("revoking another of one's sessions kills its refresh and access tokens at once", async () => {
    const { creds } = await register(t.app);
    const keep = await loginAs(t, creds);
    const other = await loginAs(t, creds);
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(other.accessToken) })).statusCode, 200, 'cached as active');
    const res = await t.app.inject({ method: 'DELETE', url: `/auth/sessions/${other.sid}`, headers: bearer(keep.accessToken) });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(json(res), { message: 'Session revoked' });
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(other.accessToken) })).statusCode, 401);
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: other.refreshToken } })).statusCode, 401);
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(keep.accessToken) })).statusCode, 200);
    const row = await t.deps.db.selectFrom('sessions').select('revoked_reason').where('id', '=', other.sid).executeTakeFirstOrThrow();
    assert.equal(row.revoked_reason, 'revoked_by_user');
  });

  test("another user's session, an unknown id and an already revoked one all give 404; a malformed id 400", async () => {
    const a = await signUp(t.app);
    const b = await signUp(t.app);
    const bSid = decodeJwtPart(b.accessToken, 1).sid;
    for (const id of [bSid, randomUUID()]) {
      const res = await t.app.inject({ method: 'DELETE', url: `/auth/sessions/${id}`, headers: bearer(a.accessToken) });
      assert.equal(res.statusCode, 404);
      assert.equal(json(res).code, 'not_found');
    }
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(b.accessToken) })).statusCode, 200, "b's session survived");
    const extra = await loginAs(t, a.creds);
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/auth/sessions/${extra.sid}`, headers: bearer(a.accessToken) })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/auth/sessions/${extra.sid}`, headers: bearer(a.accessToken) })).statusCode, 404);
    const bad = await t.app.inject({ method: 'DELETE', url: '/auth/sessions/not-a-uuid', headers: bearer(a.accessToken) });
    assert.equal(bad.statusCode, 400);
    assert.equal(json(bad).code, 'validation_failed');
  });

  test('revoking the current session signs this device out and clears the cookie', async () => {
    const { creds } = await register(t.app);
    const web = await loginAs(t, creds, { client: 'web' });
    const res = await t.app.inject({ method: 'DELETE', url: `/auth/sessions/${web.sid}`, headers: bearer(web.accessToken) });
    assert.equal(res.statusCode, 200);
    assert.equal(refreshCookie(res)?.maxAge, 0);
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(web.accessToken) })).statusCode, 401);
  });

  test('DELETE /auth/sessions signs out every other session and keeps this one', async () => {
    const { creds } = await register(t.app);
    const here = await loginAs(t, creds);
    const others = [await loginAs(t, creds), await loginAs(t, creds), await loginAs(t, creds)];
    const bystander = await signUp(t.app);
    const res = await t.app.inject({ method: 'DELETE', url: '/auth/sessions', headers: bearer(here.accessToken) });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(json(res), { message: 'Other sessions revoked', revoked: 3 });
    for (const o of others) {
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(o.accessToken) })).statusCode, 401);
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: o.refreshToken } })).statusCode, 401);
    }
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(here.accessToken) })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: here.refreshToken } })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(bystander.accessToken) })).statusCode, 200);
    assert.deepEqual((await listSessions(t, here.accessToken)).map((s) => s.id), [here.sid]);
  });
});

describe('idle timeout', () => {
  test('a session unused for AUTH_SESSION_IDLE_TIMEOUT can no longer refresh or authenticate; use keeps it alive', async () => {
    const clock = new ManualClock();
    const t = await createTestApp({ clock, env: { AUTH_SESSION_IDLE_TIMEOUT: '30m', AUTH_ACCESS_TOKEN_EXPIRY: '2h' } });
    try {
      const { creds } = await register(t.app);
      const used = await loginAs(t, creds);
      const idle = await loginAs(t, creds);
      const [first] = await listSessions(t, used.accessToken);
      assert.equal(Date.parse(first!.idleExpiresAt) - Date.parse(first!.lastUsedAt), 30 * 60 * 1000);

      clock.advance(20 * 60 * 1000);
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(used.accessToken) })).statusCode, 200, 'use records last use');
      clock.advance(20 * 60 * 1000); // 40 minutes after sign-in, 20 after the last use
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(used.accessToken) })).statusCode, 200);
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: used.refreshToken } })).statusCode, 200);

      const me = await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(idle.accessToken) });
      assert.equal(me.statusCode, 401, 'the idle session is over even though its access token has not expired');
      const refresh = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: idle.refreshToken } });
      assert.equal(refresh.statusCode, 401);
      assert.equal(json(refresh).code, 'invalid_refresh_token');
      const row = await t.deps.db.selectFrom('sessions').select('revoked_reason').where('id', '=', idle.sid).executeTakeFirstOrThrow();
      assert.equal(row.revoked_reason, 'idle_timeout');
      assert.deepEqual((await listSessions(t, used.accessToken)).map((s) => s.id), [used.sid]);
    } finally {
      await t.close();
    }
  });
});

describe('active-session limit', () => {
  test('a sign-in beyond AUTH_MAX_ACTIVE_SESSIONS revokes the least recently used session', async () => {
    const clock = new ManualClock();
    const t = await createTestApp({ clock, env: { AUTH_MAX_ACTIVE_SESSIONS: '2' }, logLevel: 'info' });
    try {
      const { creds } = await register(t.app);
      const oldest = await loginAs(t, creds);
      clock.advance(60_000);
      const middle = await loginAs(t, creds);
      clock.advance(60_000);
      // The oldest session is used now, so the middle one is the least recently used.
      const rotated = json(await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: oldest.refreshToken } }));
      clock.advance(60_000);
      const newest = await loginAs(t, creds);
      const live = (await listSessions(t, newest.accessToken)).map((s) => s.id);
      assert.deepEqual(live, [newest.sid, oldest.sid]);
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(middle.accessToken) })).statusCode, 401);
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: rotated.refreshToken } })).statusCode, 200);
      const row = await t.deps.db.selectFrom('sessions').select('revoked_reason').where('id', '=', middle.sid).executeTakeFirstOrThrow();
      assert.equal(row.revoked_reason, 'session_limit');
      const logged = t.logs.map((l) => JSON.parse(l) as Record<string, any>).find((l) => l.auth === 'session_evicted');
      assert.deepEqual(logged?.sessionIds, [middle.sid]);
    } finally {
      await t.close();
    }
  });

  test('concurrent sign-ins never exceed the limit', async () => {
    const t = await createTestApp({ env: { AUTH_MAX_ACTIVE_SESSIONS: '3' } });
    try {
      const { creds, user } = await register(t.app);
      await Promise.all(Array.from({ length: 8 }, () => loginAs(t, creds)));
      const active = await t.deps.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).where('revoked_at', 'is', null).execute();
      assert.equal(active.length, 3);
    } finally {
      await t.close();
    }
  });
});

describe('reads stay cheap', () => {
  test('/auth/me records the last use at most once a minute', async () => {
    const clock = new ManualClock();
    const t = await createTestApp({ clock });
    try {
      const s = await signUp(t.app);
      const sid = decodeJwtPart(s.accessToken, 1).sid;
      const lastUsed = async () => (await t.deps.db.selectFrom('sessions').select('last_used_at').where('id', '=', sid).executeTakeFirstOrThrow()).last_used_at.getTime();
      const signedInAt = await lastUsed();
      clock.advance(30_000);
      for (let i = 0; i < 3; i++) await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) });
      assert.equal(await lastUsed(), signedInAt, 'no write within the minute');
      clock.advance(31_000);
      await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) });
      assert.equal(await lastUsed(), clock.now(), 'written once the minute has passed');
    } finally {
      await t.close();
    }
  });

  test('/auth/me serves the user from the cache until a change is announced', async () => {
    const t = await createTestApp();
    try {
      const s = await signUp(t.app);
      const me = async () => json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) }));
      assert.equal((await me()).role, s.user.role);
      // A write behind the service's back is not seen: the row is cached...
      await t.deps.db.updateTable('users').set({ role: 'moderator' }).where('id', '=', s.user.id).execute();
      assert.equal((await me()).role, s.user.role);
      // ...until the change is announced, as every writer of user rows does.
      await t.deps.users.changed(s.user.id);
      assert.equal((await me()).role, 'moderator');
      // Signing in again announces the new last_login.
      const before = (await me()).lastLogin;
      await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: s.creds.email, password: s.creds.password, client: 'native' } });
      assert.notEqual((await me()).lastLogin, before);
    } finally {
      await t.close();
    }
  });

  test('AUTH_SESSION_CHECK=false trusts the signature alone: a revoked session keeps working until expiry', async () => {
    const t = await createTestApp({ env: { AUTH_SESSION_CHECK: 'false' } });
    try {
      const s = await signUp(t.app);
      await t.app.inject({ method: 'DELETE', url: `/auth/sessions/${decodeJwtPart(s.accessToken, 1).sid}`, headers: bearer(s.accessToken) });
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) })).statusCode, 200);
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: s.refreshToken } })).statusCode, 401, 'refresh still checks');
    } finally {
      await t.close();
    }
  });
});
