// POST /auth/logout: signs the user out on every device, by bearer token or refresh token.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, createTestApp, json, login, refreshCookie, register, signUp, type TestApp, SAME_ORIGIN } from './helpers/app.ts';

describe('POST /auth/logout', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp(); });
  after(async () => { await t.close(); });

  async function alive(accessToken: string, refreshToken: string) {
    const me = await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(accessToken) });
    const refresh = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } });
    return { me: me.statusCode, refresh: refresh.statusCode };
  }

  test('with a bearer token: 200, cookie cleared, every session of the user revoked, other users untouched', async () => {
    const { creds } = await register(t.app);
    const laptop = await login(t.app, creds, 'web');
    const phone = await login(t.app, creds, 'native');
    const bystander = await signUp(t.app);

    const res = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(laptop.accessToken) });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(json(res), { message: 'Logged out' });
    const cleared = refreshCookie(res);
    assert.ok(cleared);
    assert.equal(cleared.value, '');
    assert.equal(cleared.maxAge, 0);
    assert.equal(cleared.path, '/auth');
    assert.equal(cleared.httpOnly, true);

    assert.deepEqual(await alive(laptop.accessToken, laptop.refreshToken), { me: 401, refresh: 401 });
    assert.deepEqual(await alive(phone.accessToken, phone.refreshToken), { me: 401, refresh: 401 });
    assert.deepEqual(await alive(bystander.accessToken, bystander.refreshToken), { me: 200, refresh: 200 });

    const open = await t.deps.db.selectFrom('sessions').select('id').where('user_id', '=', laptop.user.id).where('revoked_at', 'is', null).execute();
    assert.equal(open.length, 0);
  });

  test('with only the refresh cookie', async () => {
    const { creds } = await register(t.app);
    const web = await login(t.app, creds, 'web');
    const res = await t.app.inject({ method: 'POST', url: '/auth/logout', cookies: { refresh_token: web.refreshToken }, headers: SAME_ORIGIN });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(await alive(web.accessToken, web.refreshToken), { me: 401, refresh: 401 });
  });

  test('with the refresh token in the body (native)', async () => {
    const s = await signUp(t.app, 'native');
    const res = await t.app.inject({ method: 'POST', url: '/auth/logout', payload: { refreshToken: s.refreshToken } });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(await alive(s.accessToken, s.refreshToken), { me: 401, refresh: 401 });
  });

  test('logging out twice: the second time the credentials are no longer valid', async () => {
    const s = await signUp(t.app, 'native');
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(s.accessToken) })).statusCode, 200);
    const again = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(s.accessToken) });
    assert.equal(again.statusCode, 401);
  });

  test('no credentials: 401 unauthorized, and the cookie is still cleared', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/auth/logout' });
    assert.equal(res.statusCode, 401);
    assert.equal(json(res).code, 'unauthorized');
    assert.equal(refreshCookie(res)?.maxAge, 0);
  });

  test('an unknown refresh token: 401 invalid_refresh_token, nothing revoked', async () => {
    const s = await signUp(t.app, 'native');
    const res = await t.app.inject({ method: 'POST', url: '/auth/logout', payload: { refreshToken: 'x'.repeat(43) } });
    assert.equal(res.statusCode, 401);
    assert.equal(json(res).code, 'invalid_refresh_token');
    assert.deepEqual(await alive(s.accessToken, s.refreshToken), { me: 200, refresh: 200 });
  });

  test('a forged bearer token cannot sign anyone out', async () => {
    const s = await signUp(t.app, 'native');
    const [h, p] = s.accessToken.split('.');
    const res = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(`${h}.${p}.AAAA`) });
    assert.equal(res.statusCode, 401);
    assert.deepEqual(await alive(s.accessToken, s.refreshToken), { me: 200, refresh: 200 });
  });
});
