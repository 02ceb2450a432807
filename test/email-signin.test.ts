// Passwordless sign-in (magic link, email code), change of email and the new-device
// notice, followed through a real SMTP server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../src/core/clock.ts';
import { bearer, createTestApp, json, login, refreshCookie, register, uniqueCredentials, type TestApp, SAME_ORIGIN } from './helpers/app.ts';
import { codeOf, linkOf, SmtpSink, tokenOf } from './helpers/smtp.ts';

const MAGIC = /sign-in link/;
const CODE = /sign-in code/;

let sink: SmtpSink;
before(async () => { sink = await new SmtpSink().start(); });
after(async () => { await sink.stop(); });

const path = (link: string) => { const u = new URL(link); return u.pathname + u.search; };

describe('magic links', () => {
  let t: TestApp;
  const clock = new ManualClock(Date.parse('2026-07-01T08:00:00Z'));
  before(async () => {
    t = await createTestApp({ clock, env: { ...sink.env(), AUTH_CLIENT_URL: 'https://app.example.test', AUTH_REDIRECT_ALLOWLIST: 'https://app.example.test/welcome,myapp://auth/done' } });
  });
  after(async () => { await t.close(); });
  const ask = (payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/auth/magic-link', payload });

  test('an attacker\'s redirectTo is refused before anything is sent; only exact allow-listed URLs pass', async () => {
    const { creds } = await register(t.app);
    for (const redirectTo of ['https://evil.example', 'https://app.example.test.evil.example', 'https://app.example.test/welcome/../../evil', '//evil.example',
      'https://app.example.test@evil.example', 'https://app.example.test/welcome?next=x', 'javascript:alert(1)', 'myapp://auth/done/x']) {
      const res = await ask({ email: creds.email, redirectTo });
      assert.equal(res.statusCode, 400, redirectTo);
      assert.equal(json(res).code, 'redirect_not_allowed');
    }
    await t.deps.settle();
    assert.equal(sink.to(creds.email).filter((m) => MAGIC.test(m.subject)).length, 0);
  });

  test('same answer for unknown addresses; the link signs in once, sets the refresh cookie and redirects', async () => {
    const { creds } = await register(t.app);
    const unknown = `nobody.${creds.email}`;
    const a = await ask({ email: creds.email, redirectTo: 'https://app.example.test/welcome' });
    const b = await ask({ email: unknown, redirectTo: 'https://app.example.test/welcome' });
    assert.equal(a.statusCode, 200);
    assert.equal(a.body, b.body);
    await t.deps.settle();
    assert.equal(sink.to(unknown).length, 0, 'no account, no sign-up: no message');
    const link = linkOf(await sink.latest(creds.email, MAGIC), 'http://localhost:4000/auth/magic-link/verify?token=');

    const res = await t.app.inject({ method: 'GET', url: path(link), headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0' } });
    assert.equal(res.statusCode, 302);
    assert.equal(res.headers.location, 'https://app.example.test/welcome');
    const cookie = refreshCookie(res);
    assert.ok(cookie?.value && cookie.httpOnly);
    const refreshed = await t.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { refresh_token: cookie.value }, headers: SAME_ORIGIN });
    assert.equal(refreshed.statusCode, 200);
    const me = json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(json(refreshed).accessToken) }));
    assert.equal(me.email, creds.email);
    assert.equal(me.emailVerified, true, 'the link proved the address');

    const again = await t.app.inject({ method: 'GET', url: path(link) });
    assert.equal(again.headers.location, 'https://app.example.test/?error=email_token_invalid');
    assert.equal(refreshCookie(again), undefined);
  });

  test('a native client gets the token at its app link and redeems it for tokens in the body', async () => {
    const { creds } = await register(t.app);
    await ask({ email: creds.email, redirectTo: 'myapp://auth/done', client: 'native' });
    await t.deps.settle();
    const link = linkOf(await sink.latest(creds.email, MAGIC), 'myapp://auth/done?token=');
    const res = await t.app.inject({ method: 'POST', url: '/auth/magic-link/verify', payload: { token: tokenOf(link), client: 'native' } });
    assert.equal(res.statusCode, 200, res.body);
    const body = json(res);
    assert.ok(body.accessToken && body.refreshToken);
    assert.equal(body.user.email, creds.email);
    const sessions = json(await t.app.inject({ method: 'GET', url: '/auth/sessions', headers: bearer(body.accessToken) }));
    assert.deepEqual(sessions.sessions.find((s: { current: boolean }) => s.current).amr, ['otp']);
  });

  test('expired links are refused; disabled accounts are refused', async () => {
    const { creds, user } = await register(t.app);
    await ask({ email: creds.email });
    await t.deps.settle();
    const token = tokenOf(linkOf(await sink.latest(creds.email, MAGIC), 'http'));
    clock.advance(15 * 60_000 + 1);
    assert.equal(json(await t.app.inject({ method: 'POST', url: '/auth/magic-link/verify', payload: { token } })).code, 'email_token_expired');

    const before = sink.messages.length;
    await ask({ email: creds.email });
    await t.deps.settle();
    const fresh = tokenOf(linkOf(await sink.latest(creds.email, MAGIC, before), 'http'));
    await t.deps.db.updateTable('users').set({ is_active: false }).where('id', '=', user.id).execute();
    await t.deps.users.changed(user.id);
    const res = await t.app.inject({ method: 'POST', url: '/auth/magic-link/verify', payload: { token: fresh } });
    assert.equal(res.statusCode, 403);
    assert.equal(json(res).code, 'account_disabled');
  });
});

describe('AUTH_MAGIC_LINK_SIGNUP', () => {
  test('a link to a new address creates a verified, password-less account in the requested language', async () => {
    const t = await createTestApp({ env: { ...sink.env(), AUTH_MAGIC_LINK_SIGNUP: 'true' } });
    try {
      const email = uniqueCredentials('newcomer').email;
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/magic-link', payload: { email, locale: 'fr' } })).statusCode, 200);
      await t.deps.settle();
      const mail = await sink.latest(email, /lien de connexion/);
      const res = await t.app.inject({ method: 'POST', url: '/auth/magic-link/verify', payload: { token: tokenOf(linkOf(mail, 'http')), client: 'native' } });
      assert.equal(res.statusCode, 200, res.body);
      const me = json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(json(res).accessToken) }));
      assert.equal(me.email, email);
      assert.equal(me.emailVerified, true);
      assert.equal(me.locale, 'fr');
      assert.match(me.username, /^newcomer\.[0-9a-f]+_[0-9a-f]{6}$/);
      const pw = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: 'anything-at-all' } });
      assert.equal(json(pw).code, 'invalid_credentials', 'no password was set');
    } finally {
      await t.close();
    }
  });
});

describe('email sign-in codes', () => {
  test('a code signs in once; wrong codes give up after five; unknown addresses get the same answer', async () => {
    const t = await createTestApp({ env: sink.env() });
    try {
      const { creds } = await register(t.app);
      const unknown = `nobody.${creds.email}`;
      const a = await t.app.inject({ method: 'POST', url: '/auth/email-code', payload: { email: creds.email } });
      const b = await t.app.inject({ method: 'POST', url: '/auth/email-code', payload: { email: unknown } });
      assert.equal(a.statusCode, 200);
      assert.equal(a.body, b.body);
      await t.deps.settle();
      const code = codeOf(await sink.latest(creds.email, CODE));
      const verify = (c: string, email = creds.email) => t.app.inject({ method: 'POST', url: '/auth/email-code/verify', payload: { email, code: c } });
      assert.equal(json(await verify(code, unknown)).code, 'invalid_code');
      const ok = await verify(code);
      assert.equal(ok.statusCode, 200, ok.body);
      assert.ok(refreshCookie(ok)?.value, 'a web client gets the refresh cookie');
      assert.equal(json(await verify(code)).code, 'invalid_code', 'spent');

      const before = sink.messages.length;
      await t.app.inject({ method: 'POST', url: '/auth/email-code', payload: { email: creds.email } });
      await t.deps.settle();
      const second = codeOf(await sink.latest(creds.email, CODE, before));
      const wrong = second === '999999' ? '888888' : '999999';
      for (let i = 1; i <= 5; i++) assert.equal(json(await verify(wrong)).code, i < 5 ? 'invalid_code' : 'too_many_attempts');
      assert.equal(json(await verify(second)).code, 'too_many_attempts');
    } finally {
      await t.close();
    }
  });
});

describe('change of email', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp({ env: { ...sink.env(), AUTH_CLIENT_URL: 'https://app.example.test' } }); });
  after(async () => { await t.close(); });

  test('a confirmation goes to the new address and a notice to the old; nothing changes until the link is used', async () => {
    const { creds } = await register(t.app);
    const s = await login(t.app, creds, 'native');
    const newEmail = uniqueCredentials('moved').email;
    const res = await t.app.inject({ method: 'POST', url: '/auth/email/change', headers: bearer(s.accessToken), payload: { newEmail: newEmail.toUpperCase() } });
    assert.equal(res.statusCode, 202, res.body);
    const confirm = await sink.latest(newEmail, /Confirm your new email/);
    const notice = await sink.latest(creds.email, /change of your/);
    assert.ok(notice.text.includes(newEmail));
    assert.equal(json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) })).email, creds.email, 'unchanged before confirmation');

    const link = linkOf(confirm, 'http://localhost:4000/auth/email/change/confirm?token=');
    const done = await t.app.inject({ method: 'GET', url: path(link) });
    assert.equal(done.headers.location, 'https://app.example.test/?email_changed=true');
    const me = json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) }));
    assert.equal(me.email, newEmail);
    assert.equal(me.emailVerified, true);
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: newEmail, password: creds.password } })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/login', payload: creds })).statusCode, 401);
    assert.equal((await t.app.inject({ method: 'GET', url: path(link) })).headers.location, 'https://app.example.test/?error=email_token_invalid');
  });

  test('confirmation by code; an address taken meanwhile is refused at confirmation; own address and taken ones at request', async () => {
    const { creds } = await register(t.app);
    const s = await login(t.app, creds, 'native');
    const ask = (newEmail: string) => t.app.inject({ method: 'POST', url: '/auth/email/change', headers: bearer(s.accessToken), payload: { newEmail } });
    assert.equal(json(await ask(creds.email)).code, 'email_unchanged');
    const other = await register(t.app);
    assert.equal(json(await ask(other.creds.email)).code, 'email_taken');

    const target = uniqueCredentials('race').email;
    const r = json(await ask(target));
    const code = codeOf(await sink.latest(target, /Confirm your new email/));
    // Someone registers the address before the confirmation.
    await register(t.app, { ...uniqueCredentials('squatter'), email: target });
    const clash = await t.app.inject({ method: 'POST', url: '/auth/email/change/confirm', payload: { id: r.id, code } });
    assert.equal(clash.statusCode, 409);
    assert.equal(json(clash).code, 'email_taken');

    const target2 = uniqueCredentials('second').email;
    const r2 = json(await ask(target2));
    const code2 = codeOf(await sink.latest(target2, /Confirm your new email/));
    const ok = await t.app.inject({ method: 'POST', url: '/auth/email/change/confirm', payload: { id: r2.id, code: code2 } });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(json(ok).user.email, target2);
  });
});

describe('new sign-in notice', () => {
  test('sent when a password sign-in comes from a browser and system not seen before, not on the first sign-in', async () => {
    const t = await createTestApp({ env: sink.env() });
    try {
      const { creds } = await register(t.app);
      const as = (ua: string) => t.app.inject({ method: 'POST', url: '/auth/login', payload: creds, headers: { 'user-agent': ua } });
      const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0';
      const safari = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
      assert.equal((await as(firefox)).statusCode, 200);
      assert.equal((await as(firefox)).statusCode, 200);
      await t.deps.outbox.kick();
      assert.equal(sink.to(creds.email).filter((m) => /New sign-in/.test(m.subject)).length, 0);
      assert.equal((await as(safari)).statusCode, 200);
      const mail = await sink.latest(creds.email, /New sign-in/);
      assert.match(mail.text, /Mobile Safari 17 on iOS 17\.5, from 127\.0\.0\.1/);
      assert.equal((await as(safari)).statusCode, 200);
      assert.equal((await as(firefox.replaceAll('130.0', '131.0'))).statusCode, 200, 'a browser update is not a new device');
      await t.deps.outbox.kick();
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(sink.to(creds.email).filter((m) => /New sign-in/.test(m.subject)).length, 1);
    } finally {
      await t.close();
    }
  });
});
