// Mail delivery: a real SMTP server receives what the outbox sends; an SMTP outage loses
// nothing and duplicates nothing; without SMTP, messages go to the log in full; templates
// escape hostile values, come in the user's language and can be overridden.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../src/core/clock.ts';
import { loadTemplates } from '../src/modules/mail/index.ts';
import { createTestApp, json, register, uniqueCredentials, type TestApp } from './helpers/app.ts';
import { codeOf, linkOf, SmtpSink, tokenOf } from './helpers/smtp.ts';

const VERIFY = /Verify your email/;

describe('delivery over SMTP', () => {
  let sink: SmtpSink;
  let t: TestApp;
  before(async () => {
    sink = await new SmtpSink({ user: 'mailer', pass: 'smtp-secret-value' }).start();
    t = await createTestApp({ env: { ...sink.env(), AUTH_PUBLIC_URL: 'https://auth.example.test', AUTH_APP_NAME: 'Acme' } });
  });
  after(async () => { await t.close(); await sink.stop(); });

  test('registration sends a verification message with a link and a code, through an authenticated SMTP session', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload: uniqueCredentials('smtp') });
    assert.equal(res.statusCode, 201);
    const { user, verification } = json(res);
    const mail = await sink.latest(user.email, VERIFY);
    assert.equal(mail.to, user.email);
    assert.match(mail.from, /Tessera Test"? <auth@tessera\.test>/);
    assert.match(mail.subject, /Acme/);
    const link = linkOf(mail, 'https://auth.example.test/auth/verify-email?token=');
    assert.match(tokenOf(link), /^[A-Za-z0-9_-]{43}$/);
    const code = codeOf(mail);
    assert.ok(mail.html.includes(code), 'the HTML part carries the code too');
    assert.ok(mail.html.includes(`verify-email?token&#x3D;${tokenOf(link)}`), 'and the link (attribute-escaped)');
    assert.ok(sink.logins.some((l) => l.user === 'mailer' && l.pass === 'smtp-secret-value'), 'SMTP AUTH with the configured credentials');
    assert.ok(Date.parse(verification.expiresAt) > Date.now() + 23 * 3600_000);

    // Only hashes and sealed messages are at rest.
    const tokens = await t.deps.db.selectFrom('email_tokens').selectAll().where('id', '=', verification.id).execute();
    assert.equal(tokens.length, 1);
    const stored = JSON.stringify(tokens[0]);
    assert.ok(!stored.includes(tokenOf(link)) && !stored.includes(code));
    const rows = await t.deps.db.selectFrom('mail_outbox').selectAll().execute();
    for (const r of rows) if (r.sent_at) assert.equal(r.payload_encrypted, null, 'a delivered message is erased');
  });
});

describe('an SMTP outage', () => {
  test('messages wait in the outbox with doubling delays, then each arrives exactly once', async () => {
    const sink = await new SmtpSink().start();
    const port = sink.port;
    await sink.stop();
    const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
    const t = await createTestApp({ clock, env: { ...sink.env(), AUTH_SMTP_PORT: String(port), AUTH_EMAIL_RETRY_DELAY: '30s', AUTH_EMAIL_POLL_INTERVAL: '3600' } });
    try {
      const emails: string[] = [];
      for (let i = 0; i < 3; i++) emails.push((await register(t.app, uniqueCredentials('outage'))).user.email);
      const rows = async () => t.deps.db.selectFrom('mail_outbox').selectAll().orderBy('created_at').execute();
      const waitAttempts = async (n: number) => {
        for (let i = 0; i < 200; i++) {
          await t.deps.outbox.kick();
          if ((await rows()).every((r) => r.attempts >= n && r.locked_until === null)) return;
          await new Promise((r) => setTimeout(r, 25));
        }
        assert.fail(`attempt ${n} did not happen`);
      };
      await waitAttempts(1);
      let r = await rows();
      assert.equal(r.length, 3);
      for (const row of r) {
        assert.equal(row.sent_at, null);
        assert.equal(row.next_attempt_at.getTime(), clock.now() + 30_000, 'second attempt after AUTH_EMAIL_RETRY_DELAY');
        assert.match(row.last_error ?? '', /ECONNREFUSED/);
      }
      // Not due yet: no new attempt.
      await t.deps.outbox.kick();
      assert.ok((await rows()).every((x) => x.attempts === 1));

      clock.advance(30_000);
      await waitAttempts(2);
      r = await rows();
      for (const row of r) assert.equal(row.next_attempt_at.getTime(), clock.now() + 60_000, 'the delay doubles');
      clock.advance(60_000);
      await waitAttempts(3);

      // The server comes back on the same port.
      await sink.start();
      assert.equal(sink.port, port);
      clock.advance(120_000);
      await t.deps.outbox.kick();
      for (const e of emails) await sink.latest(e, VERIFY);
      // Later passes send nothing again.
      for (let i = 0; i < 3; i++) { clock.advance(3_600_000); await t.deps.outbox.kick(); }
      await new Promise((res) => setTimeout(res, 200));
      assert.equal(sink.messages.length, 3);
      assert.deepEqual(sink.messages.map((m) => m.to).sort(), [...emails].sort());
      assert.deepEqual(await t.deps.outbox.counts(), { pending: 0, sent: 3, failed: 0 });
      assert.ok((await rows()).every((x) => x.attempts === 4 && x.payload_encrypted === null));
    } finally {
      await t.close();
      await sink.stop();
    }
  });

  test('a message is given up after AUTH_EMAIL_MAX_ATTEMPTS, with an error in the log', async () => {
    const sink = await new SmtpSink().start();
    await sink.stop();
    const clock = new ManualClock();
    const t = await createTestApp({ clock, logLevel: 'warn', env: { ...sink.env(), AUTH_EMAIL_MAX_ATTEMPTS: '3', AUTH_EMAIL_RETRY_DELAY: '1s', AUTH_EMAIL_POLL_INTERVAL: '3600' } });
    try {
      await register(t.app);
      for (let i = 0; i < 6; i++) { await t.deps.outbox.kick(); clock.advance(10_000); }
      const row = await t.deps.db.selectFrom('mail_outbox').selectAll().executeTakeFirstOrThrow();
      assert.equal(row.attempts, 3);
      assert.ok(row.failed_at);
      assert.ok(t.logs.some((l) => l.includes('email delivery failed for good')));
      assert.ok(t.logs.filter((l) => l.includes('will retry')).length === 2);
    } finally {
      await t.close();
    }
  });
});

describe('without SMTP', () => {
  test('each message is written to the log in full, link and code included', async () => {
    const t = await createTestApp({ logLevel: 'info' });
    try {
      const { user } = await register(t.app, uniqueCredentials('devlog'));
      await t.deps.outbox.kick();
      const line = t.logs.find((l) => l.includes('"email"') && l.includes(user.email));
      assert.ok(line, 'the message was logged');
      const body = JSON.parse(line).email.body as string;
      assert.match(body, /\/auth\/verify-email\?token=[A-Za-z0-9_-]{43}/);
      assert.match(body, /\b\d{6}\b/);
      assert.deepEqual(await t.deps.outbox.counts(), { pending: 0, sent: 1, failed: 0 });
    } finally {
      await t.close();
    }
  });
});

describe('templates', () => {
  let sink: SmtpSink;
  let t: TestApp;
  let dir: string;
  before(async () => {
    sink = await new SmtpSink().start();
    dir = mkdtempSync(join(tmpdir(), 'tessera-templates-'));
    mkdirSync(join(dir, 'en'));
    writeFileSync(join(dir, 'en', 'password_changed.subject'), 'Custom: {{appName}} password changed for {{username}}\n');
    t = await createTestApp({ env: { ...sink.env(), AUTH_EMAIL_TEMPLATES_DIR: dir } });
  });
  after(async () => { await t.close(); await sink.stop(); rmSync(dir, { recursive: true, force: true }); });

  test('a hostile username is escaped in HTML', async () => {
    // Registration refuses such names; an imported account might still carry one.
    const hostile = '<img src=x onerror=alert(1)>&"\'';
    const email = `hostile.${randomUUID().slice(0, 8)}@example.test`;
    await t.deps.db.insertInto('users').values({ id: randomUUID(), username: hostile, email, password_hash: null, role: 'viewer' }).execute();
    const res = await t.app.inject({ method: 'POST', url: '/auth/password/forgot', payload: { email } });
    assert.equal(res.statusCode, 200);
    const mail = await sink.latest(email, /Reset your/);
    assert.ok(!mail.html.includes('<img src=x'), 'no markup injected');
    assert.ok(mail.html.includes('Hello &lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;&amp;&quot;&#39;,'), mail.html);
    assert.ok(mail.text.includes(hostile), 'the text part shows the name as it is');
  });

  test('the user\'s locale picks the language: from the body, or from Accept-Language', async () => {
    const a = uniqueCredentials('fr');
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/register', payload: { ...a, locale: 'fr' } })).statusCode, 201);
    const fr = await sink.latest(a.email, /Vérifiez votre adresse/);
    assert.match(fr.text, /Bonjour/);
    assert.match(fr.text, /expirent dans 24 heures/);
    assert.match(fr.html, /<html lang="fr">/);

    const b = uniqueCredentials('fr2');
    await t.app.inject({ method: 'POST', url: '/auth/register', payload: b, headers: { 'accept-language': 'de-DE;q=0.9, fr-CA;q=0.8, en;q=0.5' } });
    await sink.latest(b.email, /Vérifiez votre adresse/);
    const c = uniqueCredentials('en');
    await t.app.inject({ method: 'POST', url: '/auth/register', payload: { ...c, locale: 'pt' } });
    const en = await sink.latest(c.email, VERIFY);
    assert.match(en.text, /expire in 24 hours/);
  });

  test('a template from AUTH_EMAIL_TEMPLATES_DIR overrides the shipped one', async () => {
    const { creds, accessToken, user } = await (async () => {
      const r = await register(t.app);
      const login = json(await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: r.creds.email, password: r.creds.password } }));
      return { creds: r.creds, accessToken: login.accessToken as string, user: r.user };
    })();
    const res = await t.app.inject({ method: 'POST', url: '/auth/password/change', headers: { authorization: `Bearer ${accessToken}` }, payload: { currentPassword: creds.password, newPassword: 'a-brand-new-password' } });
    assert.equal(res.statusCode, 200, res.body);
    const mail = await sink.latest(user.email, /password changed/);
    assert.equal(mail.subject, `Custom: Tessera password changed for ${user.username}`);
    assert.match(mail.text, /was changed on/, 'the parts not overridden are the shipped ones');
  });

  test('a broken override stops the start with the file named', () => {
    const bad = mkdtempSync(join(tmpdir(), 'tessera-bad-templates-'));
    try {
      mkdirSync(join(bad, 'en'));
      writeFileSync(join(bad, 'en', 'magic_link.html'), '<p>{{#open}}never closed</p>');
      assert.throws(() => loadTemplates(bad), /en\/magic_link\.html/);
      assert.throws(() => loadTemplates(join(bad, 'missing')), /does not exist/);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});

describe('secrets stay out of the log when SMTP is configured', () => {
  test('tokens, codes and passwords of the email flows never reach it, even at trace level', async () => {
    const sink = await new SmtpSink().start();
    const t = await createTestApp({ logLevel: 'trace', env: { ...sink.env(), AUTH_DEBUG_MODE: 'true', AUTH_MAGIC_LINK_SIGNUP: 'true' } });
    try {
      const c = uniqueCredentials('quiet');
      const reg = json(await t.app.inject({ method: 'POST', url: '/auth/register', payload: c }));
      const verify = await sink.latest(c.email, VERIFY);
      const secrets = [c.password, codeOf(verify), tokenOf(linkOf(verify, 'http'))];
      await t.app.inject({ method: 'GET', url: `/auth/verify-email?token=${secrets[2]}` });
      await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { id: reg.verification.id, code: secrets[1] } });

      await t.app.inject({ method: 'POST', url: '/auth/password/forgot', payload: { email: c.email } });
      await t.deps.settle();
      const reset = await sink.latest(c.email, /Reset your/);
      secrets.push(codeOf(reset), tokenOf(linkOf(reset, 'http')), 'the-new-reset-password');
      await t.app.inject({ method: 'POST', url: '/auth/password/reset', payload: { token: secrets.at(-2), password: 'the-new-reset-password' } });

      const other = uniqueCredentials('quiet2').email;
      await t.app.inject({ method: 'POST', url: '/auth/magic-link', payload: { email: other } });
      await t.deps.settle();
      const magic = await sink.latest(other, /sign-in link/);
      secrets.push(tokenOf(linkOf(magic, 'http')));
      const signedIn = await t.app.inject({ method: 'GET', url: `/auth/magic-link/verify?token=${secrets.at(-1)}` });
      assert.equal(signedIn.statusCode, 302);
      await t.app.inject({ method: 'POST', url: '/auth/email-code', payload: { email: other } });
      await t.deps.settle();
      const code = codeOf(await sink.latest(other, /sign-in code/));
      secrets.push(code);
      const viaCode = json(await t.app.inject({ method: 'POST', url: '/auth/email-code/verify', payload: { email: other, code, client: 'native' } }));
      secrets.push(viaCode.accessToken, viaCode.refreshToken);

      const text = t.logs.join('\n');
      assert.ok(t.logs.length > 20);
      for (const s of secrets) {
        // A 6-digit code is looked for as a value of its own, not inside timestamps or durations.
        const leaked = /^\d{6}$/.test(s) ? new RegExp(`(^|[^\\d.])${s}($|[^\\d])`).test(text) : text.includes(s);
        assert.ok(s && !leaked, `a secret (${String(s).length} chars) appeared in the log`);
      }
      assert.ok(text.includes('email delivered'), 'deliveries are logged, without content');
    } finally {
      await t.close();
      await sink.stop();
    }
  });
});

describe('housekeeping', () => {
  test('delivered messages, ended tokens and old request records are deleted after their time', async () => {
    const sink = await new SmtpSink().start();
    const clock = new ManualClock(Date.parse('2026-02-01T00:00:00Z'));
    const t = await createTestApp({ clock, env: { ...sink.env(), AUTH_EMAIL_POLL_INTERVAL: '3600' } });
    try {
      const { creds } = await register(t.app);
      await sink.latest(creds.email, VERIFY);
      await t.app.inject({ method: 'POST', url: '/auth/password/forgot', payload: { email: `nobody.${creds.email}` } });
      const count = async () => ({
        mail: (await t.deps.db.selectFrom('mail_outbox').select('id').execute()).length,
        tokens: (await t.deps.db.selectFrom('email_tokens').select('id').execute()).length,
        requests: (await t.deps.db.selectFrom('mail_requests').select('id').execute()).length,
      });
      // A sign-in challenge and a passkey challenge, ended long before the clean-up runs.
      const user = await t.deps.users.findByEmail(creds.email);
      await t.deps.db.insertInto('mfa_challenges').values({ id: randomUUID(), user_id: user!.id, purpose: 'login', method: null, factor_id: null, code_hash: null, token_hash: null, client: 'web', first_amr: 'pwd', created_at: new Date(clock.now()), expires_at: new Date(clock.now() + 600_000), consumed_at: null }).execute();
      await t.deps.db.insertInto('passkey_challenges').values({ challenge: 'housekeeping-challenge', purpose: 'login', user_id: null, mfa_challenge_id: null, created_at: new Date(clock.now()), expires_at: new Date(clock.now() + 300_000), consumed_at: null }).execute();
      const challenges = async () => (await t.deps.db.selectFrom('mfa_challenges').select('id').execute()).length + (await t.deps.db.selectFrom('passkey_challenges').select('challenge').execute()).length;
      assert.equal(await challenges(), 2);
      const before = await count();
      assert.ok(before.mail >= 1 && before.tokens >= 1 && before.requests >= 2, JSON.stringify(before));
      // A day on: the token is expired but recent, the requests are past every window.
      clock.advance(2 * 86_400_000);
      assert.equal((await t.deps.housekeeping.run()).ran, true);
      const mid = await count();
      assert.equal(mid.requests, 0);
      assert.equal(mid.tokens, before.tokens);
      assert.equal(await challenges(), 0, 'challenges ended more than a day ago are gone');
      clock.advance(8 * 86_400_000);
      assert.equal((await t.deps.housekeeping.run()).ran, true);
      assert.deepEqual(await count(), { mail: 0, tokens: 0, requests: 0 });
    } finally {
      await t.close();
      await sink.stop();
    }
  });
});
