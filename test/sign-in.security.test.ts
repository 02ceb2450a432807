// The holes at the seams of sign-in, each reproduced as an attack that must now fail:
// a forced or expired password that skipped the second factor, wrong second factors that
// never locked the account, pre-account hijacking through a squatted address, and a spent
// refresh token that signed its owner out everywhere. (The native OAuth exchange, encoded
// paths and mail in the log have their own files.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../src/core/clock.ts';
import { bearer, createTestApp, decodeJwtPart, json, login, register, signUp, uniqueCredentials, type Credentials, type TestApp } from './helpers/app.ts';
import { loginReq, second, totp, withTotp } from './helpers/mfa.ts';
import { codeOf, linkOf, SmtpSink, tokenOf } from './helpers/smtp.ts';

const T0 = Date.parse('2026-04-01T12:00:10Z');
const me = (t: TestApp, token: string) => t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) });
const refresh = (t: TestApp, refreshToken: string) => t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } });

let sink: SmtpSink;
before(async () => { sink = await new SmtpSink().start(); });
after(async () => { await sink.stop(); });

describe('a forced or expired password never replaces the second factor', () => {
  const clock = new ManualClock(T0);
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signUp>>;
  before(async () => {
    t = await createTestApp({ clock, env: { ...sink.env(), AUTH_PASSWORD_CHANGE_REQUIRED_DAYS: '90' } });
    admin = await signUp(t.app); // the first account: super_admin
  });
  after(async () => { await t.close(); });

  test('after an administrator forces a reset, the old password gets the TOTP challenge first, then the change; the session carries pwd+otp', async () => {
    const { creds, secret, user } = await withTotp(t, clock);
    const forced = await t.app.inject({ method: 'POST', url: `/admin/users/${user.id}/password-reset`, headers: bearer(admin.accessToken) });
    assert.equal(forced.statusCode, 200, forced.body);

    // The attack: the old password alone used to hand out a password-change token.
    const first = await loginReq(t, creds);
    assert.equal(json(first).code, 'mfa_required', 'the second factor comes first');
    assert.equal(json(first).passwordChangeToken, undefined);
    assert.equal(JSON.stringify(json(first)).includes('passwordChangeToken'), false);

    // Wrong codes get nothing.
    const wrong = await second(t, { verification_id: json(first).verification_id, code: '000000', method: 'totp' });
    assert.equal(json(wrong).code, 'invalid_code');

    const afterFactor = await second(t, { verification_id: json(first).verification_id, code: await totp(secret, clock.now()), method: 'totp' });
    assert.equal(afterFactor.statusCode, 403, afterFactor.body);
    assert.equal(json(afterFactor).code, 'password_expired');
    const changeToken = json(afterFactor).details.passwordChangeToken as string;
    assert.ok(changeToken);

    const changed = await t.app.inject({ method: 'POST', url: '/auth/password/expired', payload: { token: changeToken, newPassword: 'a-brand-new-password-77', client: 'native' } });
    assert.equal(changed.statusCode, 200, changed.body);
    const claims = decodeJwtPart(json(changed).accessToken, 1);
    assert.deepEqual(claims.amr, ['pwd', 'otp'], 'the assurance actually reached');
    // The change token is single use.
    const again = await t.app.inject({ method: 'POST', url: '/auth/password/expired', payload: { token: changeToken, newPassword: 'another-new-password-78' } });
    assert.equal(again.statusCode, 400);
    // The new password still needs the factor.
    clock.advance(30_000);
    assert.equal(json(await loginReq(t, { email: creds.email, password: 'a-brand-new-password-77' })).code, 'mfa_required');
  });

  test('an expired password: the same order (factor, then change)', async () => {
    const { creds, secret } = await withTotp(t, clock);
    clock.advance(91 * 86_400_000);
    const first = json(await loginReq(t, creds));
    assert.equal(first.code, 'mfa_required');
    const afterFactor = await second(t, { verification_id: first.verification_id, code: await totp(secret, clock.now()), method: 'totp' });
    assert.equal(json(afterFactor).code, 'password_expired');
    const changed = await t.app.inject({ method: 'POST', url: '/auth/password/expired', payload: { token: json(afterFactor).details.passwordChangeToken, newPassword: 'fresh-password-after-expiry-1', client: 'native' } });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.deepEqual(decodeJwtPart(json(changed).accessToken, 1).amr, ['pwd', 'otp']);
  });

  test('without a second factor, the change token and the session carry the password only', async () => {
    const { creds, user } = await register(t.app);
    await t.deps.db.updateTable('users').set({ password_reset_required: true }).where('id', '=', user.id as string).execute();
    await t.deps.users.changed(user.id as string);
    const res = await loginReq(t, creds);
    assert.equal(json(res).code, 'password_expired');
    const changed = await t.app.inject({ method: 'POST', url: '/auth/password/expired', payload: { token: json(res).details.passwordChangeToken, newPassword: 'no-mfa-new-password-31', client: 'native' } });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.deepEqual(decodeJwtPart(json(changed).accessToken, 1).amr, ['pwd']);
  });
});

describe('wrong second factors and re-authentications count toward the account lockout', () => {
  const clock = new ManualClock(T0);
  let t: TestApp;
  before(async () => { t = await createTestApp({ clock, env: { ...sink.env(), AUTH_ACCOUNT_LOCKOUT_ATTEMPTS: '5' } }); });
  after(async () => { await t.close(); });

  test('a known password does not buy fresh tries: wrong codes across challenges and addresses lock the account', async () => {
    const { creds, secret, user } = await withTotp(t, clock);
    // Two wrong codes on one challenge, three on another (opened from another address).
    const c1 = json(await loginReq(t, creds)).verification_id;
    for (let i = 0; i < 2; i++) assert.equal(json(await second(t, { verification_id: c1, code: '000000', method: 'totp' })).code, 'invalid_code');
    const c2 = json(await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: creds.password, client: 'native' }, remoteAddress: '198.51.100.7' })).verification_id;
    assert.ok(c2, 'the right password still opens a challenge while the account is not locked');
    for (let i = 0; i < 3; i++) {
      const r = await t.app.inject({ method: 'POST', url: '/auth/login/mfa', payload: { verification_id: c2, code: '111111', method: 'totp' }, remoteAddress: '198.51.100.7' });
      assert.equal(json(r).code, 'invalid_code');
    }
    // Locked: the right password and the right code are both refused now.
    const locked = await loginReq(t, creds);
    assert.equal(locked.statusCode, 429);
    assert.equal(json(locked).code, 'rate_limited');
    const right = await second(t, { verification_id: c1, code: await totp(secret, clock.now()), method: 'totp' });
    assert.equal(json(right).code, 'rate_limited');
    const entry = await t.deps.db.selectFrom('audit_log').select(['type']).where('type', '=', 'account.locked').where('subject_user_id', '=', user.id).execute();
    assert.equal(entry.length, 1, 'the lock is recorded once');
    // An administrator's unlock reopens it; a completed sign-in clears the count.
    await t.deps.auth.unlock(user);
    const c3 = json(await loginReq(t, creds)).verification_id;
    const ok = await second(t, { verification_id: c3, code: await totp(secret, clock.now()), method: 'totp' });
    assert.equal(ok.statusCode, 200, ok.body);
  });

  test('wrong passwords and codes at /auth/reauthenticate count too', async () => {
    const { creds } = await register(t.app);
    const s = await login(t.app, creds, 'native');
    for (let i = 0; i < 4; i++) {
      const r = await t.app.inject({ method: 'POST', url: '/auth/reauthenticate', headers: bearer(s.accessToken), payload: { password: `not-it-${i}` } });
      assert.equal(json(r).code, 'invalid_credentials');
    }
    const totpWrong = await t.app.inject({ method: 'POST', url: '/auth/reauthenticate', headers: bearer(s.accessToken), payload: { method: 'recovery', code: 'abcdefghjk' } });
    assert.equal(json(totpWrong).code, 'invalid_code');
    // Five failures: the right password is refused at re-authentication and at sign-in.
    const rightReauth = await t.app.inject({ method: 'POST', url: '/auth/reauthenticate', headers: bearer(s.accessToken), payload: { password: creds.password } });
    assert.equal(json(rightReauth).code, 'rate_limited');
    assert.equal(json(await loginReq(t, creds)).code, 'rate_limited');
    await t.deps.auth.unlock((await t.deps.users.findByEmail(creds.email))!);
  });
});

describe('pre-account hijacking: the first proof of an address ends what a squatter set', () => {
  const clock = new ManualClock(T0);
  let t: TestApp;
  before(async () => { t = await createTestApp({ clock, env: { ...sink.env(), AUTH_MAGIC_LINK_SIGNUP: 'true' } }); });
  after(async () => { await t.close(); });

  /** The squatter registers the victim's address first, signs in and keeps the tokens. */
  async function squat() {
    const victim = uniqueCredentials('victim');
    const reg = await register(t.app, victim);
    const session = await login(t.app, victim, 'native');
    assert.equal((await me(t, session.accessToken)).statusCode, 200);
    return { victim, reg, session };
  }

  async function assertSquatterOut(victim: Credentials, session: { accessToken: string; refreshToken: string }) {
    assert.equal((await me(t, session.accessToken)).statusCode, 401, "the squatter's access token no longer works");
    assert.equal((await refresh(t, session.refreshToken)).statusCode, 401, "the squatter's refresh token no longer works");
    const pw = await loginReq(t, victim);
    assert.equal(json(pw).code, 'invalid_credentials', "the squatter's password no longer works");
  }

  test('the victim signs in with a magic link', async () => {
    const { victim, session } = await squat();
    const before = sink.messages.length;
    await t.app.inject({ method: 'POST', url: '/auth/magic-link', payload: { email: victim.email } });
    await t.deps.settle();
    const link = linkOf(await sink.latest(victim.email, /sign-in link/, before), 'http://localhost:4000/auth/magic-link/verify?token=');
    const res = await t.app.inject({ method: 'POST', url: '/auth/magic-link/verify', payload: { token: tokenOf(link), client: 'native' } });
    assert.equal(res.statusCode, 200, res.body);
    await assertSquatterOut(victim, session);
    assert.equal((await me(t, json(res).accessToken)).statusCode, 200, "the victim's session works");
  });

  test('the victim signs in with an email code', async () => {
    const { victim, session } = await squat();
    const before = sink.messages.length;
    await t.app.inject({ method: 'POST', url: '/auth/email-code', payload: { email: victim.email } });
    await t.deps.settle();
    const code = codeOf(await sink.latest(victim.email, /sign-in code/, before));
    const res = await t.app.inject({ method: 'POST', url: '/auth/email-code/verify', payload: { email: victim.email, code, client: 'native' } });
    assert.equal(res.statusCode, 200, res.body);
    await assertSquatterOut(victim, session);
  });

  test('the victim opens the verification link the squatter caused (no registrant mark): verified, the squatter is out', async () => {
    const { victim, session } = await squat();
    const link = linkOf(await sink.latest(victim.email, /Verify your email/), 'http://localhost:4000/auth/verify-email?token=');
    const res = await t.app.inject({ method: 'GET', url: link.replace('http://localhost:4000', '') });
    assert.equal(res.statusCode, 302);
    assert.match(String(res.headers.location), /email_verified=true/);
    assert.match(String(res.headers.location), /credentials_cleared=true/);
    await assertSquatterOut(victim, session);
  });

  test('the victim types the verification code with the address: the same', async () => {
    const { victim, session } = await squat();
    const code = codeOf(await sink.latest(victim.email, /Verify your email/));
    const res = await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { email: victim.email, code } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(json(res).user.credentialsCleared, true);
    await assertSquatterOut(victim, session);
  });

  test("the squatter's TOTP and passkey-free factors go too; a password reset by the victim also ends the squatter's sessions", async () => {
    const { creds: victim, secret } = await withTotp(t, clock);
    const squatterSession = json(await second(t, { verification_id: json(await loginReq(t, victim)).verification_id, code: await totp(secret, clock.now()), method: 'totp' }));
    assert.ok(squatterSession.refreshToken);
    const before = sink.messages.length;
    await t.app.inject({ method: 'POST', url: '/auth/password/forgot', payload: { email: victim.email } });
    await t.deps.settle();
    const code = codeOf(await sink.latest(victim.email, /reset/i, before));
    const reset = await t.app.inject({ method: 'POST', url: '/auth/password/reset', payload: { email: victim.email, code, password: 'the-owners-password-5' } });
    assert.equal(reset.statusCode, 200, reset.body);
    assert.equal((await refresh(t, squatterSession.refreshToken)).statusCode, 401);
    const user = (await t.deps.users.findByEmail(victim.email))!;
    const factors = await t.deps.db.selectFrom('mfa_factors').select('id').where('user_id', '=', user.id).execute();
    assert.equal(factors.length, 0, "the squatter's TOTP is gone");
    const owner = await loginReq(t, { email: victim.email, password: 'the-owners-password-5' });
    assert.equal(owner.statusCode, 200, 'the owner signs in with the password alone: no factor of the squatter stands in the way');
  });

  test('the registrant proving their own address keeps everything (the registration id, or the registrant cookie)', async () => {
    for (const how of ['id', 'cookie'] as const) {
      const { victim: me0, reg, session } = await squat();
      const code = codeOf(await sink.latest(me0.email, /Verify your email/));
      const res = how === 'id'
        ? await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { id: reg.verificationId, code } })
        : await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { email: me0.email, code }, cookies: { tessera_registrant: reg.registrant } });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(json(res).user.credentialsCleared, undefined);
      assert.equal((await me(t, session.accessToken)).statusCode, 200, `${how}: the session stays`);
      assert.equal((await loginReq(t, me0)).statusCode, 200, `${how}: the password stays`);
    }
  });

  test('the registration id shown with the address and the code keeps everything after a resend; another account\'s id does not', async () => {
    const { victim: mine, reg, session } = await squat();
    clock.advance(120_000);
    const first = await sink.latest(mine.email, /Verify your email/);
    const before = sink.messages.indexOf(first) + 1;
    const resent = await t.app.inject({ method: 'POST', url: '/auth/verify-email/resend', payload: { email: mine.email } });
    assert.equal(resent.statusCode, 200, resent.body);
    await t.deps.settle();
    const code = codeOf(await sink.latest(mine.email, /Verify your email/, before));
    const res = await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { email: mine.email, code, registrationId: reg.verificationId } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(json(res).user.credentialsCleared, undefined);
    assert.equal((await me(t, session.accessToken)).statusCode, 200);

    const other = await squat();
    const code2 = codeOf(await sink.latest(other.victim.email, /Verify your email/));
    const stolenId = await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { email: other.victim.email, code: code2, registrationId: reg.verificationId } });
    assert.equal(json(stolenId).user.credentialsCleared, true);
    await assertSquatterOut(other.victim, other.session);
  });

  test('a forged registrant cookie is worth nothing', async () => {
    const { victim, session, reg } = await squat();
    const other = await register(t.app);
    const code = codeOf(await sink.latest(victim.email, /Verify your email/));
    const res = await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { email: victim.email, code }, cookies: { tessera_registrant: other.registrant } });
    assert.equal(json(res).user.credentialsCleared, true);
    assert.notEqual(other.registrant, reg.registrant);
    await assertSquatterOut(victim, session);
  });

  test('an address already verified: a magic link changes nothing else', async () => {
    const { creds, registrant } = await register(t.app);
    const code = codeOf(await sink.latest(creds.email, /Verify your email/));
    await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { email: creds.email, code }, cookies: { tessera_registrant: registrant } });
    const s = await login(t.app, creds, 'native');
    const before = sink.messages.length;
    await t.app.inject({ method: 'POST', url: '/auth/magic-link', payload: { email: creds.email } });
    await t.deps.settle();
    const link = linkOf(await sink.latest(creds.email, /sign-in link/, before), 'http://localhost:4000/auth/magic-link/verify?token=');
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/magic-link/verify', payload: { token: tokenOf(link), client: 'native' } })).statusCode, 200);
    assert.equal((await me(t, s.accessToken)).statusCode, 200);
    assert.equal((await loginReq(t, creds)).statusCode, 200);
  });
});

describe('sign-out with a spent refresh token ends nothing; logout scopes', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp({ env: { AUTH_REFRESH_TOKEN_REUSE_INTERVAL: '0' } }); });
  after(async () => { await t.close(); });

  test('a token two rotations old: 401 like an unknown token, every session lives on; reuse detection on /auth/refresh still works', async () => {
    const { creds } = await signUp(t.app);
    const phone = await login(t.app, creds, 'native');
    const laptop = await login(t.app, creds, 'native');
    const r1 = json(await refresh(t, laptop.refreshToken));
    const r2 = json(await refresh(t, r1.refreshToken));
    const stale = await t.app.inject({ method: 'POST', url: '/auth/logout', payload: { refreshToken: laptop.refreshToken } });
    const unknown = await t.app.inject({ method: 'POST', url: '/auth/logout', payload: { refreshToken: 'x'.repeat(43) } });
    assert.equal(stale.statusCode, 401);
    assert.deepEqual([stale.statusCode, json(stale).code], [unknown.statusCode, json(unknown).code], 'answered as an unknown token');
    assert.equal((await me(t, phone.accessToken)).statusCode, 200, 'the other device stays signed in');
    assert.equal((await refresh(t, r2.refreshToken)).statusCode, 200, 'the current token still works');
    // The same spent token at /auth/refresh is still a reuse.
    const reuse = await refresh(t, laptop.refreshToken);
    assert.equal(json(reuse).code, 'refresh_token_reused');
  });

  test('scope=local ends this session only, scope=others every other, global (default) all', async () => {
    const { creds } = await signUp(t.app);
    const [a, b, c] = [await login(t.app, creds, 'native'), await login(t.app, creds, 'native'), await login(t.app, creds, 'native')];
    const local = await t.app.inject({ method: 'POST', url: '/auth/logout?scope=local', headers: bearer(a.accessToken) });
    assert.equal(local.statusCode, 200, local.body);
    assert.deepEqual([(await me(t, a.accessToken)).statusCode, (await me(t, b.accessToken)).statusCode, (await me(t, c.accessToken)).statusCode], [401, 200, 200]);
    const others = await t.app.inject({ method: 'POST', url: '/auth/logout', payload: { refreshToken: b.refreshToken, scope: 'others' } });
    assert.equal(others.statusCode, 200, others.body);
    assert.deepEqual([(await me(t, b.accessToken)).statusCode, (await me(t, c.accessToken)).statusCode], [200, 401]);
    const d = await login(t.app, creds, 'native');
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(d.accessToken) })).statusCode, 200);
    assert.deepEqual([(await me(t, b.accessToken)).statusCode, (await me(t, d.accessToken)).statusCode], [401, 401]);
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/logout?scope=nowhere', headers: bearer(b.accessToken) })).statusCode, 400);
  });
});
