// Email verification and password reset / change, followed through a real SMTP server:
// links and codes work once, expire, give up after 5 wrong codes, and requests that name
// an address answer the same whether or not it has an account.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../src/core/clock.ts';
import { bearer, createTestApp, json, login, refreshCookie, register, uniqueCredentials, type TestApp, SAME_ORIGIN } from './helpers/app.ts';
import { codeOf, linkOf, SmtpSink, tokenOf } from './helpers/smtp.ts';

const VERIFY = /Verify your email/;
const RESET = /Reset your/;

let sink: SmtpSink;
before(async () => { sink = await new SmtpSink().start(); });
after(async () => { await sink.stop(); });

describe('email verification', () => {
  let t: TestApp;
  const clock = new ManualClock(Date.parse('2026-05-01T08:00:00Z'));
  before(async () => { t = await createTestApp({ clock, env: { ...sink.env(), AUTH_CLIENT_URL: 'https://app.example.test' } }); });
  after(async () => { await t.close(); });

  const me = async (token: string) => json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) }));

  test('the link verifies once and redirects to AUTH_CLIENT_URL; /auth/me shows emailVerified', async () => {
    const { creds, registrant } = await register(t.app);
    const s = await login(t.app, creds, 'native');
    assert.equal((await me(s.accessToken)).emailVerified, false);
    const mail = await sink.latest(creds.email, VERIFY);
    const link = linkOf(mail, 'http://localhost:4000/auth/verify-email?token=');
    // Opened in the browser that registered (its registrant cookie): what it set stays.
    const res = await t.app.inject({ method: 'GET', url: link.replace('http://localhost:4000', ''), cookies: { tessera_registrant: registrant } });
    assert.equal(res.statusCode, 302);
    assert.equal(res.headers.location, 'https://app.example.test/?email_verified=true');
    assert.equal((await me(s.accessToken)).emailVerified, true, 'seen at once, through the user cache');

    const again = await t.app.inject({ method: 'GET', url: link.replace('http://localhost:4000', '') });
    assert.equal(again.headers.location, 'https://app.example.test/?error=email_token_invalid');
    const post = await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { token: tokenOf(link) } });
    assert.equal(post.statusCode, 400);
    assert.equal(json(post).code, 'email_token_invalid');
  });

  test('the code works with the id from the register response, or with the address', async () => {
    const c1 = uniqueCredentials('code1');
    const r1 = json(await t.app.inject({ method: 'POST', url: '/auth/register', payload: c1 }));
    const code1 = codeOf(await sink.latest(c1.email, VERIFY));
    const ok = await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { id: r1.verification.id, code: code1 } });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(json(ok).user, { ...r1.user, emailVerified: true });

    const { creds: c2 } = await register(t.app);
    const code2 = codeOf(await sink.latest(c2.email, VERIFY));
    const ok2 = await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { email: c2.email.toUpperCase(), code: code2 } });
    assert.equal(ok2.statusCode, 200, ok2.body);
    const reuse = await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { email: c2.email, code: code2 } });
    assert.equal(json(reuse).code, 'invalid_code');
  });

  test('five wrong codes end the code, even for the right one afterwards', async () => {
    const c = uniqueCredentials('wrong');
    const r = json(await t.app.inject({ method: 'POST', url: '/auth/register', payload: c }));
    const code = codeOf(await sink.latest(c.email, VERIFY));
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 1; i <= 5; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { id: r.verification.id, code: wrong } });
      assert.equal(json(res).code, i < 5 ? 'invalid_code' : 'too_many_attempts', `attempt ${i}`);
      assert.equal(res.statusCode, i < 5 ? 400 : 429);
    }
    const right = await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { id: r.verification.id, code } });
    assert.equal(json(right).code, 'too_many_attempts');
    // Malformed proofs are plain 400s.
    for (const payload of [{}, { code }, { id: 'not-a-uuid', code }, { id: r.verification.id }]) {
      const res = await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload });
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
    }
  });

  test('links and codes expire after AUTH_EMAIL_VERIFICATION_EXPIRES_IN', async () => {
    const c = uniqueCredentials('expiry');
    const r = json(await t.app.inject({ method: 'POST', url: '/auth/register', payload: c }));
    const mail = await sink.latest(c.email, VERIFY);
    clock.advance(24 * 3600_000 + 1000);
    const byCode = await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { id: r.verification.id, code: codeOf(mail) } });
    assert.equal(json(byCode).code, 'email_token_expired');
    const byLink = await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { token: tokenOf(linkOf(mail, 'http')) } });
    assert.equal(json(byLink).code, 'email_token_expired');
  });

  test('resend: once per interval, at most the limit, the same answer for unknown addresses; a new code replaces the old', async () => {
    const c = uniqueCredentials('resend');
    await register(t.app, c);
    const first = await sink.latest(c.email, VERIFY);
    const resend = (email: string) => t.app.inject({ method: 'POST', url: '/auth/verify-email/resend', payload: { email } });

    const tooSoon = await resend(c.email);
    assert.equal(tooSoon.statusCode, 429, 'within 60 s of the registration message');
    assert.ok(Number(tooSoon.headers['retry-after']) > 0);

    const unknown = 'nobody.' + c.email;
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) {
      clock.advance(61_000);
      const before = sink.messages.length;
      const a = await resend(c.email);
      const b = await resend(unknown);
      assert.equal(a.statusCode, 200);
      assert.equal(a.body, b.body, 'the same answer whether or not an account exists');
      await t.deps.settle();
      const mail = await sink.latest(c.email, VERIFY, before);
      sent.push(codeOf(mail));
    }
    clock.advance(61_000);
    assert.equal((await resend(c.email)).statusCode, 429, 'the fourth resend is over the limit');
    assert.equal((await resend(unknown)).statusCode, 429, 'counted the same for an unknown address');
    await t.deps.settle();
    assert.equal(sink.to(unknown).length, 0);

    const old = await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { email: c.email, code: codeOf(first) } });
    assert.equal(json(old).code, 'invalid_code', 'a resend replaces the earlier code');
    const latest = await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { email: c.email, code: sent.at(-1) } });
    assert.equal(latest.statusCode, 200);
  });
});

describe('AUTH_EMAIL_VERIFICATION_REQUIRED', () => {
  test('an unverified user who knows the password gets 403 email_not_verified; after verifying, 200', async () => {
    const t = await createTestApp({ env: { ...sink.env(), AUTH_EMAIL_VERIFICATION_REQUIRED: 'true' } });
    try {
      const { creds, registrant } = await register(t.app);
      const wrong = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: 'not-the-password' } });
      assert.equal(json(wrong).code, 'invalid_credentials', 'the password is checked first');
      const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload: creds });
      assert.equal(res.statusCode, 403);
      assert.equal(json(res).code, 'email_not_verified');
      const code = codeOf(await sink.latest(creds.email, VERIFY));
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { email: creds.email, code }, cookies: { tessera_registrant: registrant } })).statusCode, 200);
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/login', payload: creds })).statusCode, 200);
    } finally {
      await t.close();
    }
  });
});

describe('password reset and change', () => {
  let t: TestApp;
  const clock = new ManualClock(Date.parse('2026-06-01T08:00:00Z'));
  before(async () => { t = await createTestApp({ clock, env: { ...sink.env(), AUTH_CLIENT_URL: 'https://app.example.test', AUTH_EMAIL_ADDRESS_LIMIT: '4' } }); });
  after(async () => { await t.close(); });

  const forgot = (email: string) => t.app.inject({ method: 'POST', url: '/auth/password/forgot', payload: { email } });

  test('forgot answers the same for unknown addresses and mails only real accounts', async () => {
    const { creds } = await register(t.app);
    const unknown = `ghost.${creds.email}`;
    const a = await forgot(creds.email);
    const b = await forgot(unknown);
    assert.equal(a.statusCode, 200);
    assert.equal(b.statusCode, 200);
    assert.equal(a.body, b.body);
    await t.deps.settle();
    const mail = await sink.latest(creds.email, RESET);
    assert.ok(linkOf(mail, 'https://app.example.test/reset-password?token='));
    assert.equal(sink.to(unknown).length, 0);
  });

  test('reset with the link: new password works, every session ends, a notice arrives, the link is spent', async () => {
    const { creds } = await register(t.app);
    const web = await login(t.app, creds, 'web');
    const native = await login(t.app, creds, 'native');
    await forgot(creds.email);
    await t.deps.settle();
    const token = tokenOf(linkOf(await sink.latest(creds.email, RESET), 'https://'));
    const res = await t.app.inject({ method: 'POST', url: '/auth/password/reset', payload: { token, password: 'reset-password-123' } });
    assert.equal(res.statusCode, 200, res.body);

    assert.equal(json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(web.accessToken) })).code, 'session_revoked');
    const refreshed = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: native.refreshToken } });
    assert.equal(refreshed.statusCode, 401);
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/login', payload: creds })).statusCode, 401, 'the old password is gone');
    const fresh = await login(t.app, { email: creds.email, password: 'reset-password-123' }, 'native');
    assert.equal(json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(fresh.accessToken) })).emailVerified, true, 'the reset proved the address');
    await sink.latest(creds.email, /password was changed/);

    const again = await t.app.inject({ method: 'POST', url: '/auth/password/reset', payload: { token, password: 'another-password-1' } });
    assert.equal(json(again).code, 'email_token_invalid');
  });

  test('reset with the code and the address; expiry after an hour; short passwords refused', async () => {
    const { creds } = await register(t.app);
    await forgot(creds.email);
    await t.deps.settle();
    const code = codeOf(await sink.latest(creds.email, RESET));
    const short = await t.app.inject({ method: 'POST', url: '/auth/password/reset', payload: { email: creds.email, code, password: 'short' } });
    assert.equal(json(short).code, 'password_too_short', 'the policy names the rule; the code is not spent');
    const ok = await t.app.inject({ method: 'POST', url: '/auth/password/reset', payload: { email: creds.email, code, password: 'by-code-password' } });
    assert.equal(ok.statusCode, 200, ok.body);

    const before = sink.messages.length;
    await forgot(creds.email);
    await t.deps.settle();
    const later = await sink.latest(creds.email, RESET, before);
    clock.advance(3600_000 + 1);
    const expired = await t.app.inject({ method: 'POST', url: '/auth/password/reset', payload: { email: creds.email, code: codeOf(later), password: 'too-late-password' } });
    assert.equal(json(expired).code, 'email_token_expired');
  });

  test('per-address limit: the fifth request for one address in the window is 429, account or not', async () => {
    const { creds } = await register(t.app);
    const unknown = `limit.${creds.email}`;
    for (let i = 0; i < 4; i++) {
      assert.equal((await forgot(creds.email)).statusCode, 200);
      assert.equal((await forgot(unknown)).statusCode, 200);
    }
    const a = await forgot(creds.email);
    const b = await forgot(unknown);
    assert.equal(a.statusCode, 429);
    assert.equal(b.statusCode, 429);
    assert.equal(json(a).code, 'rate_limited');
    clock.advance(3600_000 + 1000);
    assert.equal((await forgot(creds.email)).statusCode, 200, 'the window slides');
  });

  test('change: the current password is checked, other sessions end, this one stays, a notice arrives', async () => {
    const { creds } = await register(t.app);
    const other = await login(t.app, creds, 'native');
    const current = await login(t.app, creds, 'web');
    const change = (currentPassword: string, newPassword: string) =>
      t.app.inject({ method: 'POST', url: '/auth/password/change', headers: bearer(current.accessToken), payload: { currentPassword, newPassword } });
    const wrong = await change('not-my-password', 'whatever-new-1');
    assert.equal(wrong.statusCode, 400);
    assert.equal(json(wrong).code, 'invalid_current_password');
    const before = sink.messages.length;
    assert.equal((await change(creds.password, 'changed-password-1')).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(current.accessToken) })).statusCode, 200, 'this session stays');
    const cookieRefresh = await t.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { refresh_token: current.refreshToken }, headers: SAME_ORIGIN });
    assert.equal(cookieRefresh.statusCode, 200);
    assert.ok(refreshCookie(cookieRefresh));
    assert.equal(json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(other.accessToken) })).code, 'session_revoked');
    await sink.latest(creds.email, /password was changed/, before);
    const unauth = await t.app.inject({ method: 'POST', url: '/auth/password/change', payload: { currentPassword: 'x', newPassword: 'yyyyyyyy' } });
    assert.equal(unauth.statusCode, 401);
  });
});
