// POST /auth/refresh: rotation, the reuse grace interval, reuse detection revoking the
// whole family, and the atomic check-and-rotate under concurrency.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { ManualClock } from '../src/core/clock.ts';
import { bearer, createTestApp, decodeJwtPart, json, login, refreshCookie, register, signUp, type TestApp, SAME_ORIGIN } from './helpers/app.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest();

function refreshNative(t: TestApp, refreshToken: string) {
  return t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } });
}

describe('POST /auth/refresh', () => {
  const clock = new ManualClock();
  let t: TestApp;
  before(async () => { t = await createTestApp({ clock, logLevel: 'warn' }); });
  after(async () => { await t.close(); });

  test('cookie in, cookie out: the token rotates and the response holds only the access token', async () => {
    const { creds } = await register(t.app);
    const s = await login(t.app, creds, 'web');
    const res = await t.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { refresh_token: s.refreshToken }, headers: SAME_ORIGIN });
    assert.equal(res.statusCode, 200, res.body);
    const body = json(res);
    assert.deepEqual(Object.keys(body), ['accessToken']);
    const next = refreshCookie(res);
    assert.ok(next);
    assert.notEqual(next.value, s.refreshToken);
    assert.equal(next.httpOnly, true);
    assert.equal(next.path, '/auth');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(decodeJwtPart(body.accessToken, 1).sid, decodeJwtPart(s.accessToken, 1).sid, 'same session');
    const me = await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(body.accessToken) });
    assert.equal(me.statusCode, 200);
  });

  test('a browser POST with an empty JSON body still uses the cookie', async () => {
    const { creds } = await register(t.app);
    const s = await login(t.app, creds, 'web');
    const res = await t.app.inject({ method: 'POST', url: '/auth/refresh', headers: { 'content-type': 'application/json', ...SAME_ORIGIN }, payload: '', cookies: { refresh_token: s.refreshToken } });
    assert.equal(res.statusCode, 200, res.body);
  });

  test('body in, body out for native clients, and no cookie', async () => {
    const s = await signUp(t.app, 'native');
    const res = await refreshNative(t, s.refreshToken);
    assert.equal(res.statusCode, 200);
    const body = json(res);
    assert.deepEqual(Object.keys(body).sort(), ['accessToken', 'refreshToken']);
    assert.notEqual(body.refreshToken, s.refreshToken);
    assert.equal(res.headers['set-cookie'], undefined);
  });

  test('refresh tokens are stored only as SHA-256 hashes, in one family per session', async () => {
    const s = await signUp(t.app, 'native');
    const r1 = json(await refreshNative(t, s.refreshToken));
    const rows = await t.deps.db.selectFrom('refresh_tokens').innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
      .select(['refresh_tokens.id', 'refresh_tokens.token_hash', 'refresh_tokens.parent_id', 'refresh_tokens.spent_at', 'sessions.id as sid'])
      .where('sessions.user_id', '=', s.user.id).orderBy('refresh_tokens.id').execute();
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[0]!.token_hash, sha256(s.refreshToken));
    assert.deepEqual(rows[1]!.token_hash, sha256(r1.refreshToken));
    assert.equal(rows[1]!.parent_id, rows[0]!.id);
    assert.notEqual(rows[0]!.spent_at, null);
    assert.equal(rows[1]!.spent_at, null);
    assert.equal(rows[0]!.sid, rows[1]!.sid);
    const dump = JSON.stringify(await sql`select * from refresh_tokens`.execute(t.deps.db));
    assert.ok(!dump.includes(s.refreshToken) && !dump.includes(r1.refreshToken), 'no raw token stored');
  });

  test('a spent token presented within the reuse interval yields a token for the same session', async () => {
    const s = await signUp(t.app, 'native');
    const first = json(await refreshNative(t, s.refreshToken));
    clock.advance(9_000);
    const again = await refreshNative(t, s.refreshToken);
    assert.equal(again.statusCode, 200, again.body);
    const body = json(again);
    assert.notEqual(body.refreshToken, first.refreshToken);
    assert.equal(decodeJwtPart(body.accessToken, 1).sid, decodeJwtPart(s.accessToken, 1).sid);
    // Both descendants stay usable: this was not an attack.
    assert.equal((await refreshNative(t, first.refreshToken)).statusCode, 200);
    assert.equal((await refreshNative(t, body.refreshToken)).statusCode, 200);
    const sessions = await t.deps.db.selectFrom('sessions').select(['id', 'revoked_at']).where('user_id', '=', s.user.id).execute();
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0]!.revoked_at, null);
  });

  test('a spent token presented after the interval revokes the whole family and is logged', async () => {
    const s = await signUp(t.app, 'native');
    const other = await login(t.app, s.creds, 'native'); // another device: must survive
    const next = json(await refreshNative(t, s.refreshToken));
    clock.advance(11_000);
    const logsBefore = t.logs.length;
    const reuse = await refreshNative(t, s.refreshToken);
    assert.equal(reuse.statusCode, 401);
    assert.equal(json(reuse).code, 'refresh_token_reused');

    // The successor, the session's access tokens and the session itself are dead.
    const successor = await refreshNative(t, next.refreshToken);
    assert.equal(successor.statusCode, 401);
    assert.equal(json(successor).code, 'invalid_refresh_token');
    const me = await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(next.accessToken) });
    assert.equal(me.statusCode, 401);
    assert.equal(json(me).code, 'session_revoked');
    const row = await t.deps.db.selectFrom('sessions').select(['revoked_at', 'revoked_reason']).where('id', '=', decodeJwtPart(s.accessToken, 1).sid).executeTakeFirstOrThrow();
    assert.notEqual(row.revoked_at, null);
    assert.equal(row.revoked_reason, 'refresh_token_reused');

    // The user's other session is untouched.
    assert.equal((await refreshNative(t, other.refreshToken)).statusCode, 200);

    const logged = t.logs.slice(logsBefore).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.auth === 'refresh_token_reused');
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.userId, s.user.id);
    assert.equal(logged[0]!.level, 40);
  });

  test('an expired session cannot be refreshed', async () => {
    const s = await signUp(t.app, 'native');
    clock.advance(7 * 24 * 3600 * 1000 + 1000);
    const res = await refreshNative(t, s.refreshToken);
    assert.equal(res.statusCode, 401);
    assert.equal(json(res).code, 'invalid_refresh_token');
  });

  test('unknown and malformed tokens give 401 invalid_refresh_token; a failed cookie refresh clears the cookie', async () => {
    for (const token of ['nope', 'A'.repeat(43), '../../etc/passwd', '🙂'.repeat(20)]) {
      const res = await refreshNative(t, token);
      assert.equal(res.statusCode, 401);
      assert.equal(json(res).code, 'invalid_refresh_token');
    }
    const res = await t.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { refresh_token: 'forged' }, headers: SAME_ORIGIN });
    assert.equal(res.statusCode, 401);
    const cleared = refreshCookie(res);
    assert.ok(cleared);
    assert.equal(cleared.value, '');
    assert.equal(cleared.maxAge, 0);
    assert.equal(cleared.path, '/auth');
  });

  test('no token at all gives 401', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/auth/refresh' });
    assert.equal(res.statusCode, 401);
    assert.equal(json(res).code, 'invalid_refresh_token');
  });

  test('a disabled user cannot refresh', async () => {
    const s = await signUp(t.app, 'native');
    await t.deps.db.updateTable('users').set({ is_active: false }).where('id', '=', s.user.id).execute();
    const res = await refreshNative(t, s.refreshToken);
    assert.equal(res.statusCode, 401);
  });

  test('the new access token carries the current role', async () => {
    const s = await signUp(t.app, 'native');
    await t.deps.db.updateTable('users').set({ role: 'moderator' }).where('id', '=', s.user.id).execute();
    const body = json(await refreshNative(t, s.refreshToken));
    assert.equal(decodeJwtPart(body.accessToken, 1).role, 'moderator');
  });
});

describe('concurrent refreshes with one token', () => {
  test('20 at once within the interval: all succeed, all for the same single session, no 5xx', async () => {
    const t = await createTestApp();
    try {
      const s = await signUp(t.app, 'native');
      const results = await Promise.all(Array.from({ length: 20 }, () => refreshNative(t, s.refreshToken)));
      assert.deepEqual(results.map((r) => r.statusCode), Array(20).fill(200));
      const sids = new Set(results.map((r) => decodeJwtPart(json(r).accessToken, 1).sid));
      assert.deepEqual([...sids], [decodeJwtPart(s.accessToken, 1).sid]);
      const sessions = await t.deps.db.selectFrom('sessions').select('id').where('user_id', '=', s.user.id).execute();
      assert.equal(sessions.length, 1, 'no second family');
      const tokens = new Set(results.map((r) => json(r).refreshToken));
      assert.equal(tokens.size, 20, 'each response got its own token');
      // Exactly one row was spent by the race's winner; the rest were siblings.
      const spent = await t.deps.db.selectFrom('refresh_tokens').select('id').where('session_id', '=', [...sids][0]!).where('spent_at', 'is not', null).execute();
      assert.equal(spent.length, 1);
    } finally {
      await t.close();
    }
  });

  test('20 at once with no reuse interval: exactly one succeeds, the rest are reuse, the family is revoked, no 5xx', async () => {
    const t = await createTestApp({ env: { AUTH_REFRESH_TOKEN_REUSE_INTERVAL: '0' } });
    try {
      const s = await signUp(t.app, 'native');
      const results = await Promise.all(Array.from({ length: 20 }, () => refreshNative(t, s.refreshToken)));
      const codes = results.map((r) => r.statusCode);
      assert.ok(codes.every((c) => c === 200 || c === 401), codes.join(','));
      const ok = results.filter((r) => r.statusCode === 200);
      assert.equal(ok.length, 1, 'only the first presentation rotates');
      for (const r of results.filter((x) => x.statusCode === 401)) assert.match(json(r).code, /^(refresh_token_reused|invalid_refresh_token)$/);
      const sessions = await t.deps.db.selectFrom('sessions').select(['id', 'revoked_at']).where('user_id', '=', s.user.id).execute();
      assert.equal(sessions.length, 1, 'never a second family');
      assert.notEqual(sessions[0]!.revoked_at, null, 'reuse revoked the family');
      assert.equal((await refreshNative(t, json(ok[0]!).refreshToken)).statusCode, 401, "the winner's successor died with the family");
    } finally {
      await t.close();
    }
  });
});
