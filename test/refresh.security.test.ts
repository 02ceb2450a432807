// POST /auth/refresh: rotation, the reuse grace interval, reuse detection revoking the
// whole family, and the atomic check-and-rotate under concurrency.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { ManualClock } from '../src/core/clock.ts';
import { MAX_SIBLINGS } from '../src/modules/sessions/index.ts';
import { bearer, createTestApp, decodeJwtPart, json, login, makeLegacySession, refreshCookie, register, signUp, type TestApp, SAME_ORIGIN } from './helpers/app.ts';

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest();

/** The parts of a family token: session id (16 bytes), generation (4), secret (32), tag (16). */
function familyToken(token: string) {
  const b = Buffer.from(token, 'base64url');
  assert.equal(b.length, 68, 'a family token');
  const h = b.subarray(0, 16).toString('hex');
  return {
    sessionId: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`,
    generation: b.readUInt32BE(16), secret: b.subarray(20, 52), tag: b.subarray(52), bytes: b,
  };
}

/** `token` with its generation replaced, and its tag left as it was (so it no longer matches). */
function withGeneration(token: string, generation: number): string {
  const b = Buffer.from(familyToken(token).bytes);
  b.writeUInt32BE(generation, 16);
  return b.toString('base64url');
}

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

  test("refresh tokens are stored only as SHA-256 hashes of their secret, in the session's own row", async () => {
    const s = await signUp(t.app, 'native');
    const sid = decodeJwtPart(s.accessToken, 1).sid as string;
    const r1 = json(await refreshNative(t, s.refreshToken));
    const row = await t.deps.db.selectFrom('sessions').select(['refresh_generation', 'refresh_hash', 'refresh_siblings', 'refresh_rotated_at'])
      .where('id', '=', sid).executeTakeFirstOrThrow();
    // The token carries the session's id, its generation, its secret and a tag.
    const next = familyToken(r1.refreshToken);
    assert.equal(next.sessionId, sid);
    assert.equal(next.generation, 2);
    assert.equal(familyToken(s.refreshToken).generation, 1);
    assert.equal(row.refresh_generation, 2);
    assert.deepEqual(row.refresh_hash, sha256(next.secret));
    assert.deepEqual(row.refresh_siblings, []);
    assert.equal(row.refresh_rotated_at?.getTime(), clock.now());
    // One row per session, however often it refreshes; no token, secret or tag stored.
    assert.equal((await t.deps.db.selectFrom('refresh_tokens').select('id').where('session_id', '=', sid).execute()).length, 0);
    const dump = JSON.stringify(await sql`select * from sessions`.execute(t.deps.db));
    for (const token of [s.refreshToken, r1.refreshToken]) {
      const f = familyToken(token);
      for (const part of [token, f.secret.toString('hex'), f.tag.toString('hex')]) assert.ok(!dump.includes(part), 'nothing of a token stored but the hash');
    }
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
      // The race's winner moved the family on once; the rest got siblings of its token.
      const row = await t.deps.db.selectFrom('sessions').select(['refresh_generation', 'refresh_siblings']).where('id', '=', [...sids][0]!).executeTakeFirstOrThrow();
      assert.equal(row.refresh_generation, 2);
      assert.equal(row.refresh_siblings.length, 19);
      assert.deepEqual(new Set(results.map((r) => familyToken(json(r).refreshToken).generation)), new Set([2]));
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

describe('refresh-token families', () => {
  const clock = new ManualClock();
  const INTROSPECTION_SECRET = 'families-introspection-secret-0123456789abcdef';
  let t: TestApp;
  before(async () => { t = await createTestApp({ clock, logLevel: 'warn', env: { AUTH_INTROSPECTION_SECRET: INTROSPECTION_SECRET } }); });
  after(async () => { await t.close(); });

  const sessionOf = (sid: string) => t.deps.db.selectFrom('sessions').select(['revoked_at', 'revoked_reason', 'refresh_generation', 'refresh_siblings']).where('id', '=', sid).executeTakeFirstOrThrow();

  test('each refresh moves the family one generation on and writes no token row', async () => {
    const s = await signUp(t.app, 'native');
    const sid = decodeJwtPart(s.accessToken, 1).sid as string;
    let token = s.refreshToken;
    for (let i = 0; i < 5; i++) {
      clock.advance(60_000);
      const res = await refreshNative(t, token);
      assert.equal(res.statusCode, 200, res.body);
      token = json(res).refreshToken;
      assert.equal(familyToken(token).generation, i + 2);
    }
    assert.equal((await sessionOf(sid)).refresh_generation, 6);
    assert.equal((await t.deps.db.selectFrom('refresh_tokens').select('id').where('session_id', '=', sid).execute()).length, 0);
    const last = await t.deps.db.selectFrom('sessions').select('last_used_at').where('id', '=', sid).executeTakeFirstOrThrow();
    assert.equal(last.last_used_at.getTime(), clock.now(), 'the refresh recorded the use');
  });

  test('a token with a tag this server did not make is refused and revokes nothing, whatever generation it names', async () => {
    const s = await signUp(t.app, 'native');
    const sid = decodeJwtPart(s.accessToken, 1).sid as string;
    const r1 = json(await refreshNative(t, s.refreshToken));
    clock.advance(60_000);
    const tampered = Buffer.from(familyToken(r1.refreshToken).bytes);
    tampered[tampered.length - 1]! ^= 1;
    // An earlier generation (a reuse, were it genuine), the current one, a later one.
    for (const token of [withGeneration(r1.refreshToken, 1), tampered.toString('base64url'), withGeneration(r1.refreshToken, 3)]) {
      const res = await refreshNative(t, token);
      assert.equal(res.statusCode, 401);
      assert.equal(json(res).code, 'invalid_refresh_token');
    }
    const row = await sessionOf(sid);
    assert.equal(row.revoked_at, null);
    assert.equal(row.refresh_generation, 2);
    assert.equal((await refreshNative(t, r1.refreshToken)).statusCode, 200, 'the genuine token still works');
  });

  test('a genuine token two generations back is a reuse even within the interval', async () => {
    const s = await signUp(t.app, 'native');
    const r1 = json(await refreshNative(t, s.refreshToken));
    const r2 = json(await refreshNative(t, r1.refreshToken));
    clock.advance(1_000);
    const res = await refreshNative(t, s.refreshToken);
    assert.equal(json(res).code, 'refresh_token_reused');
    assert.equal((await sessionOf(decodeJwtPart(s.accessToken, 1).sid as string)).revoked_reason, 'refresh_token_reused');
    assert.equal(json(await refreshNative(t, r2.refreshToken)).code, 'invalid_refresh_token');
  });

  test('a sibling handed out within the interval is a reuse once the family moved on past it and the interval is over', async () => {
    const s = await signUp(t.app, 'native');
    const a = json(await refreshNative(t, s.refreshToken)); // generation 2
    clock.advance(2_000);
    const b = json(await refreshNative(t, s.refreshToken)); // a sibling of generation 2
    assert.equal(familyToken(b.refreshToken).generation, 2);
    clock.advance(2_000);
    const a2 = json(await refreshNative(t, a.refreshToken)); // generation 3
    clock.advance(11_000);
    const res = await refreshNative(t, b.refreshToken);
    assert.equal(json(res).code, 'refresh_token_reused');
    assert.equal(json(await refreshNative(t, a2.refreshToken)).code, 'invalid_refresh_token');
  });

  test(`retries within the interval get at most ${MAX_SIBLINGS} siblings; the next is refused and changes nothing`, async () => {
    const s = await signUp(t.app, 'native');
    const sid = decodeJwtPart(s.accessToken, 1).sid as string;
    const current = json(await refreshNative(t, s.refreshToken));
    for (let i = 0; i < MAX_SIBLINGS; i++) assert.equal((await refreshNative(t, s.refreshToken)).statusCode, 200);
    const res = await refreshNative(t, s.refreshToken);
    assert.equal(res.statusCode, 401);
    assert.equal(json(res).code, 'invalid_refresh_token');
    const row = await sessionOf(sid);
    assert.equal(row.revoked_at, null);
    assert.equal(row.refresh_siblings.length, MAX_SIBLINGS);
    assert.equal((await refreshNative(t, current.refreshToken)).statusCode, 200);
    assert.deepEqual((await sessionOf(sid)).refresh_siblings, [], 'the next generation starts without siblings');
  });

  test('a revoked session refuses its current token; logout and introspection read family tokens', async () => {
    const s = await signUp(t.app, 'native');
    const r1 = json(await refreshNative(t, s.refreshToken));
    const introspect = async (token: string) => json(await t.app.inject({ method: 'POST', url: '/auth/introspect', headers: { authorization: `Bearer ${INTROSPECTION_SECRET}` }, payload: { token } }));
    assert.equal((await introspect(r1.refreshToken)).active, true);
    assert.equal((await introspect(r1.refreshToken)).token_type, 'Refresh');
    assert.equal((await introspect(s.refreshToken)).active, false, 'a spent generation');
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/logout', payload: { refreshToken: r1.refreshToken } })).statusCode, 200);
    assert.equal(json(await refreshNative(t, r1.refreshToken)).code, 'invalid_refresh_token');
    assert.equal((await introspect(r1.refreshToken)).active, false);
  });

  test('tokens of sessions started before families (rows of refresh_tokens) still rotate, and their reuse still revokes', async () => {
    const s = await signUp(t.app, 'native');
    const sid = decodeJwtPart(s.accessToken, 1).sid as string;
    const legacy = await makeLegacySession(t, sid);
    const r1 = await refreshNative(t, legacy);
    assert.equal(r1.statusCode, 200, r1.body);
    assert.equal(json(r1).refreshToken.length, 43, 'the session keeps its kind of token');
    assert.equal((await t.deps.db.selectFrom('refresh_tokens').select('id').where('session_id', '=', sid).execute()).length, 2);
    clock.advance(11_000);
    assert.equal(json(await refreshNative(t, legacy)).code, 'refresh_token_reused');
    assert.equal((await sessionOf(sid)).revoked_reason, 'refresh_token_reused');
  });
});

describe('refreshes of many sessions at once (group commit)', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp({ logLevel: 'warn' }); });
  after(async () => { await t.close(); });

  const sidOf = (s: { accessToken: string }) => decodeJwtPart(s.accessToken, 1).sid as string;
  /** The transaction ids that last wrote the sessions: one statement, one transaction. */
  async function writers(sids: string[]): Promise<Set<string>> {
    const rows = await sql<{ xmin: string }>`select xmin::text as xmin from sessions where id = any(${sids}::uuid[])`.execute(t.deps.db);
    assert.equal(rows.rows.length, sids.length);
    return new Set(rows.rows.map((r) => r.xmin));
  }

  test('sessions refreshed at once rotate in one statement, each row to its own next token', async () => {
    const users = [];
    for (let i = 0; i < 12; i++) users.push(await signUp(t.app, 'native'));
    const sids = users.map(sidOf);
    const results = await Promise.all(users.map((u) => refreshNative(t, u.refreshToken)));
    assert.deepEqual(results.map((r) => r.statusCode), Array(12).fill(200));
    results.forEach((r, i) => {
      const next = familyToken(json(r).refreshToken);
      assert.equal(next.sessionId, sids[i], 'each answer is for its own session');
      assert.equal(next.generation, 2);
      assert.equal(decodeJwtPart(json(r).accessToken, 1).sid, sids[i]);
    });
    const written = await writers(sids);
    assert.ok(written.size < 12, `the rotations shared statements (${written.size} transactions for 12 rotations)`);
    // Each row holds the hash of its own successor: each successor rotates, and the
    // tokens that were spent are now reuses of their own family only.
    const again = await Promise.all(results.map((r) => refreshNative(t, json(r).refreshToken)));
    assert.deepEqual(again.map((r) => r.statusCode), Array(12).fill(200));
    for (const [i, r] of again.entries()) assert.equal(familyToken(json(r).refreshToken).generation, 3, `session ${i}`);
    const rows = await t.deps.db.selectFrom('sessions').select(['id', 'refresh_generation', 'revoked_at']).where('id', 'in', sids).execute();
    assert.deepEqual(rows.map((r) => [r.refresh_generation, r.revoked_at]), Array(12).fill([3, null]));
  });

  test('in one group, each token is decided as it would be alone', async () => {
    const plain = await Promise.all([signUp(t.app, 'native'), signUp(t.app, 'native'), signUp(t.app, 'native')]);
    // A revoked session's current token.
    const revoked = await signUp(t.app, 'native');
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/logout', payload: { refreshToken: revoked.refreshToken } })).statusCode, 200);
    // A token two generations back: a reuse.
    const stolen = await signUp(t.app, 'native');
    const stolen2 = json(await refreshNative(t, stolen.refreshToken));
    const stolen3 = json(await refreshNative(t, stolen2.refreshToken));
    // The generation just before the current one, within the interval: a sibling.
    const retried = await signUp(t.app, 'native');
    const retried2 = json(await refreshNative(t, retried.refreshToken));
    // One current token presented twice in the same turn: one rotation and one sibling.
    const twice = await signUp(t.app, 'native');

    const [p0, p1, p2, rv, st, rt, tw1, tw2] = await Promise.all([
      ...plain.map((u) => refreshNative(t, u.refreshToken)),
      refreshNative(t, revoked.refreshToken), refreshNative(t, stolen.refreshToken), refreshNative(t, retried.refreshToken),
      refreshNative(t, twice.refreshToken), refreshNative(t, twice.refreshToken),
    ]);
    for (const r of [p0!, p1!, p2!]) assert.equal(r.statusCode, 200, r.body);
    assert.ok((await writers(plain.map(sidOf))).size < 3, 'the plain rotations shared a statement');

    assert.equal(rv!.statusCode, 401);
    assert.equal(json(rv!).code, 'invalid_refresh_token');

    assert.equal(st!.statusCode, 401);
    assert.equal(json(st!).code, 'refresh_token_reused');
    const stolenRow = await t.deps.db.selectFrom('sessions').select(['revoked_reason', 'refresh_generation']).where('id', '=', sidOf(stolen)).executeTakeFirstOrThrow();
    assert.deepEqual(stolenRow, { revoked_reason: 'refresh_token_reused', refresh_generation: 3 }, 'revoked, not moved on');
    assert.equal(json(await refreshNative(t, stolen3.refreshToken)).code, 'invalid_refresh_token');

    assert.equal(rt!.statusCode, 200, rt!.body);
    assert.equal(familyToken(json(rt!).refreshToken).generation, 2, 'a sibling of the current generation');
    assert.equal((await refreshNative(t, retried2.refreshToken)).statusCode, 200, 'the current token still rotates');

    assert.deepEqual([tw1!.statusCode, tw2!.statusCode], [200, 200]);
    const twiceRow = await t.deps.db.selectFrom('sessions').select(['refresh_generation', 'refresh_siblings']).where('id', '=', sidOf(twice)).executeTakeFirstOrThrow();
    assert.equal(twiceRow.refresh_generation, 2, 'moved on once');
    assert.equal(twiceRow.refresh_siblings.length, 1, 'the other presentation got a sibling');
    for (const r of [tw1!, tw2!]) assert.equal((await refreshNative(t, json(r).refreshToken)).statusCode, 200);
  });
});
