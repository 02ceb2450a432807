// AUTH_REFRESH_TOKEN_ROTATION=false: a refresh answers a new access token and the same
// refresh token; the session's absolute and idle lifetimes, logout and revocation still
// end it; a token replaced while rotation was on is still judged as a reuse.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ManualClock } from '../src/core/clock.ts';
import { bearer, createTestApp, decodeJwtPart, json, login, makeLegacySession, refreshCookie, register, signUp, type TestApp, SAME_ORIGIN } from './helpers/app.ts';

const refresh = (t: TestApp, refreshToken: string) => t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } });
const sidOf = (accessToken: string) => decodeJwtPart(accessToken, 1).sid as string;

describe('refresh without rotation', () => {
  const clock = new ManualClock();
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock, env: { AUTH_REFRESH_TOKEN_ROTATION: 'false', AUTH_SESSION_IDLE_TIMEOUT: '10m', AUTH_REFRESH_TOKEN_EXPIRY: '1h', AUTH_ACCESS_TOKEN_EXPIRY: '2h' } });
  });
  after(async () => { await t.close(); });

  test('the setting is read, and defaults to rotation', async () => {
    assert.equal(t.config.refreshTokenRotation, false);
    const { loadConfig } = await import('../src/core/config/index.ts');
    assert.equal(loadConfig({ NODE_ENV: 'test' }).refreshTokenRotation, true);
    assert.throws(() => loadConfig({ NODE_ENV: 'test', AUTH_REFRESH_TOKEN_ROTATION: 'sometimes' }), /AUTH_REFRESH_TOKEN_ROTATION/);
  });

  test('native: each refresh answers a new access token of the same session and the same refresh token', async () => {
    const s = await signUp(t.app, 'native');
    const row = () => t.deps.db.selectFrom('sessions').select(['refresh_generation', 'refresh_hash']).where('id', '=', sidOf(s.accessToken)).executeTakeFirstOrThrow();
    const before = await row();
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      const res = await refresh(t, s.refreshToken);
      assert.equal(res.statusCode, 200, res.body);
      const body = json(res);
      assert.equal(body.refreshToken, s.refreshToken, 'the same refresh token');
      assert.notEqual(body.accessToken, s.accessToken, 'a new access token');
      assert.equal(sidOf(body.accessToken), sidOf(s.accessToken));
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(body.accessToken) })).statusCode, 200);
    }
    assert.deepEqual(await row(), before, 'the family never moved on');
  });

  test('web: the cookie is set again with the same value', async () => {
    const { creds } = await register(t.app);
    const s = await login(t.app, creds, 'web');
    const res = await t.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { refresh_token: s.refreshToken }, headers: SAME_ORIGIN });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(Object.keys(json(res)), ['accessToken']);
    assert.equal(refreshCookie(res)?.value, s.refreshToken);
  });

  test('no reuse detection: the token presented long after its first use still works', async () => {
    const s = await signUp(t.app, 'native');
    for (let i = 0; i < 4; i++) {
      clock.advance(5 * 60 * 1000); // well past the 10 s reuse interval, within the idle timeout
      const res = await refresh(t, s.refreshToken);
      assert.equal(res.statusCode, 200, res.body);
    }
    const r = await t.deps.db.selectFrom('sessions').select(['revoked_at']).where('id', '=', sidOf(s.accessToken)).executeTakeFirstOrThrow();
    assert.equal(r.revoked_at, null);
  });

  test('a refresh records the use: the idle timeout counts from the last refresh', async () => {
    const s = await signUp(t.app, 'native');
    const idle = await signUp(t.app, 'native');
    clock.advance(8 * 60 * 1000);
    assert.equal((await refresh(t, s.refreshToken)).statusCode, 200);
    clock.advance(8 * 60 * 1000); // 16 minutes after sign-in, 8 after the last refresh
    assert.equal((await refresh(t, s.refreshToken)).statusCode, 200, 'alive: its last use was a refresh 8 minutes ago');
    const res = await refresh(t, idle.refreshToken);
    assert.equal(res.statusCode, 401);
    assert.equal(json(res).code, 'invalid_refresh_token');
    const row = await t.deps.db.selectFrom('sessions').select('revoked_reason').where('id', '=', sidOf(idle.accessToken)).executeTakeFirstOrThrow();
    assert.equal(row.revoked_reason, 'idle_timeout');
    clock.advance(11 * 60 * 1000);
    assert.equal(json(await refresh(t, s.refreshToken)).code, 'invalid_refresh_token', 'unused for 11 minutes: over');
  });

  test('the absolute lifetime still applies', async () => {
    const s = await signUp(t.app, 'native');
    for (let i = 0; i < 6; i++) {
      clock.advance(9 * 60 * 1000);
      assert.equal((await refresh(t, s.refreshToken)).statusCode, 200);
    }
    clock.advance(9 * 60 * 1000); // 63 minutes after sign-in, 9 after the last use
    const res = await refresh(t, s.refreshToken);
    assert.equal(res.statusCode, 401);
    assert.equal(json(res).code, 'invalid_refresh_token');
  });

  test('logout and revocation end the token', async () => {
    const a = await signUp(t.app, 'native');
    const out = await t.app.inject({ method: 'POST', url: '/auth/logout', payload: { refreshToken: a.refreshToken, scope: 'local' } });
    assert.equal(out.statusCode, 200, out.body);
    assert.equal(json(await refresh(t, a.refreshToken)).code, 'invalid_refresh_token');

    const { creds } = await register(t.app);
    const b1 = await login(t.app, creds, 'native');
    const b2 = await login(t.app, creds, 'native');
    const del = await t.app.inject({ method: 'DELETE', url: `/auth/sessions/${sidOf(b2.accessToken)}`, headers: bearer(b1.accessToken) });
    assert.ok(del.statusCode < 300, del.body);
    assert.equal(json(await refresh(t, b2.refreshToken)).code, 'invalid_refresh_token');
    assert.equal((await refresh(t, b1.refreshToken)).statusCode, 200, 'the other session goes on');
  });

  test('a token this server did not issue is refused and changes nothing', async () => {
    const s = await signUp(t.app, 'native');
    const b = Buffer.from(s.refreshToken, 'base64url');
    b[b.length - 1]! ^= 1; // the tag
    const res = await refresh(t, b.toString('base64url'));
    assert.equal(json(res).code, 'invalid_refresh_token');
    assert.equal((await refresh(t, s.refreshToken)).statusCode, 200);
  });

  test('a token replaced while rotation was on is still a reuse after the interval, and revokes the session', async () => {
    const s = await signUp(t.app, 'native');
    const sid = sidOf(s.accessToken);
    // What a rotation-on instance leaves: the family at generation 2, rotated an hour ago.
    const next = t.deps.sessions.refreshTokens.mint(sid, 2);
    await t.deps.db.updateTable('sessions').set({ refresh_generation: 2, refresh_hash: next.hash, refresh_rotated_at: new Date(clock.now() - 60_000) }).where('id', '=', sid).execute();
    assert.equal(json(await refresh(t, next.token)).refreshToken, next.token, 'the current token is kept');
    const res = await refresh(t, s.refreshToken);
    assert.equal(res.statusCode, 401);
    assert.equal(json(res).code, 'refresh_token_reused');
    assert.equal(json(await refresh(t, next.token)).code, 'invalid_refresh_token', 'the session is over');
  });

  test('a token of the one-row-per-token form is kept too', async () => {
    const s = await signUp(t.app, 'native');
    const legacy = await makeLegacySession(t, sidOf(s.accessToken));
    for (let i = 0; i < 2; i++) {
      const res = await refresh(t, legacy);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(json(res).refreshToken, legacy);
    }
    const rows = await t.deps.db.selectFrom('refresh_tokens').select(['spent_at']).where('token_hash', '=', createHash('sha256').update(legacy).digest()).execute();
    assert.deepEqual(rows.map((r) => r.spent_at), [null], 'never spent');
  });
});
