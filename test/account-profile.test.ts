// PATCH /auth/me: a signed-in user changes their username, under the rules of
// registration (format, uniqueness regardless of case), with an audit entry and a
// user.updated event; GET /auth/me shows when the account was created.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, createTestApp, decodeJwtPart, json, login, register, signUp, uniqueCredentials, type TestApp } from './helpers/app.ts';

describe('PATCH /auth/me', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp(); });
  after(async () => { await t.close(); });

  const patch = (token: string | undefined, payload: unknown) =>
    t.app.inject({ method: 'PATCH', url: '/auth/me', headers: token ? bearer(token) : {}, payload: payload as Record<string, unknown> });
  const me = async (token: string) => json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) }));
  const entries = (userId: string) => t.deps.db.selectFrom('audit_log').select(['type', 'details', 'actor_id']).where('subject_user_id', '=', userId).where('type', '=', 'username.changed').execute();

  test('changes the username: the answer, /auth/me, sign-in by the new name, an audit entry and an event', async () => {
    const s = await signUp(t.app);
    const wanted = uniqueCredentials('renamed').username;
    const res = await patch(s.accessToken, { username: wanted });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(json(res), { message: 'Profile updated', user: { ...s.user, username: wanted } });
    assert.equal((await me(s.accessToken)).username, wanted, 'the cached user row was dropped');

    const byName = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: wanted, password: s.creds.password, client: 'native' } });
    assert.equal(byName.statusCode, 200, byName.body);
    assert.equal(decodeJwtPart(json(byName).accessToken, 1).username, wanted, 'new tokens carry the new name');
    const byOld = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: s.creds.username, password: s.creds.password } });
    assert.equal(byOld.statusCode, 401, 'the old name is gone');

    assert.deepEqual(await entries(s.user.id), [{ type: 'username.changed', details: { from: s.creds.username, to: wanted }, actor_id: s.user.id }]);
    const events = await t.deps.db.selectFrom('events').select(['envelope']).where('subject', '=', `auth.user.${s.user.id}.updated`).execute();
    assert.equal(events.length, 1);
    const envelope = (typeof events[0]!.envelope === 'string' ? JSON.parse(events[0]!.envelope) : events[0]!.envelope) as { data: { changes: unknown; user: { username: string } } };
    assert.deepEqual(envelope.data.changes, { username: wanted });
    assert.equal(envelope.data.user.username, wanted);
  });

  test('the same name changes nothing; a change of case only is a change', async () => {
    const s = await signUp(t.app);
    const same = await patch(s.accessToken, { username: s.creds.username });
    assert.equal(same.statusCode, 200, same.body);
    assert.equal(json(same).user.username, s.creds.username);
    assert.deepEqual(await entries(s.user.id), [], 'no entry for no change');

    const upper = s.creds.username.toUpperCase();
    const res = await patch(s.accessToken, { username: upper });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal((await me(s.accessToken)).username, upper);
    assert.equal((await entries(s.user.id)).length, 1);
  });

  test('a name another account holds, in any case, is 409 username_taken and nothing changes', async () => {
    const { creds: other } = await register(t.app);
    const s = await signUp(t.app);
    for (const username of [other.username, other.username.toUpperCase()]) {
      const res = await patch(s.accessToken, { username });
      assert.equal(res.statusCode, 409, res.body);
      assert.equal(json(res).code, 'username_taken');
    }
    assert.equal((await me(s.accessToken)).username, s.creds.username);
    assert.deepEqual(await entries(s.user.id), []);
  });

  test('the format of registration: too short, too long, a leading symbol, a space, a missing field', async () => {
    const s = await signUp(t.app);
    for (const payload of [{ username: 'ab' }, { username: 'a'.repeat(51) }, { username: '.dot' }, { username: 'two words' }, {}]) {
      const res = await patch(s.accessToken, payload);
      assert.equal(res.statusCode, 400, `${JSON.stringify(payload)}: ${res.body}`);
      assert.equal(json(res).code, 'validation_failed');
    }
    const unicode = await patch(s.accessToken, { username: `Zoë_${Date.now().toString(36)}` });
    assert.equal(unicode.statusCode, 200, 'letters of any script, as at registration');
  });

  test('needs a bearer token; a signed-out session is refused', async () => {
    assert.equal((await patch(undefined, { username: 'nobody_here' })).statusCode, 401);
    const { creds } = await register(t.app);
    const s = await login(t.app, creds, 'native');
    await t.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(s.accessToken) });
    const res = await patch(s.accessToken, { username: uniqueCredentials('late').username });
    assert.equal(res.statusCode, 401);
    assert.equal(json(res).code, 'session_revoked');
  });
});

describe('GET /auth/me createdAt', () => {
  test('the account creation time, for "member since"', async () => {
    const t = await createTestApp();
    try {
      const started = Date.now();
      const s = await signUp(t.app);
      const body = json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) }));
      assert.match(body.createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.ok(Math.abs(Date.parse(body.createdAt) - started) < 60_000, `${body.createdAt} is about now`);
    } finally {
      await t.close();
    }
  });
});
