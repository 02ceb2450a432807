// Production without an SMTP server. The configuration refuses it (naming AUTH_SMTP_HOST
// and the opt-in AUTH_EMAIL_LOG_IN_PRODUCTION), and so does `tessera config check`; with
// the opt-in the server starts, and the messages it cannot send leave no link, token,
// code, subject or address in the log: only the template and the recipient's domain.
// Development keeps writing whole messages to the log (the control that shows the
// checks below would see a leak).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, insecureSettings, loadConfig } from '../src/core/config/index.ts';
import { createEncrypter } from '../src/core/crypto/index.ts';
import { tessera } from './helpers/cli.ts';
import { createTestApp, register, uniqueCredentials, TEST_ENCRYPTION_KEY, type TestApp } from './helpers/app.ts';
import type { TestDatabase } from './helpers/db.ts';

const PROD = { NODE_ENV: 'production', AUTH_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

/**
 * Registers a user and asks for a password reset and an email sign-in code, with the mail
 * worker held, so that the messages can be read from the outbox (sealed) before they go
 * to the transport. Returns the secrets those messages carry, and the log lines of their delivery.
 */
async function mailsAndLogs(t: TestApp) {
  await t.deps.outbox.stop();
  const { creds } = await register(t.app, uniqueCredentials('prodmail'));
  assert.equal((await t.app.inject({ method: 'POST', url: '/auth/password/forgot', payload: { email: creds.email } })).statusCode, 200);
  assert.equal((await t.app.inject({ method: 'POST', url: '/auth/email-code', payload: { email: creds.email } })).statusCode, 200);
  // The code is queued in the background, after the answer (the answer's timing says nothing).
  const pending = () => t.deps.db.selectFrom('mail_outbox').select(['id', 'kind', 'payload_encrypted']).where('sent_at', 'is', null).execute();
  let rows = await pending();
  for (let i = 0; i < 100 && rows.length < 3; i++) {
    await new Promise((r) => setTimeout(r, 50));
    rows = await pending();
  }
  const encrypter = createEncrypter(TEST_ENCRYPTION_KEY);
  const mails = rows.map((r) => ({ kind: r.kind, ...(JSON.parse(encrypter.decrypt(r.payload_encrypted!, `mail:${r.id}`).toString('utf8')) as { to: string; subject: string; text: string; html: string }) }));
  assert.deepEqual(mails.map((m) => m.kind).sort(), ['email_code', 'password_reset', 'verify_email']);
  // The secrets: every link and token, and every 6-digit code of the messages.
  const secrets = new Set<string>();
  for (const m of mails) {
    for (const link of m.text.match(/https?:\/\/\S+/g) ?? []) {
      secrets.add(link);
      const token = new URL(link).searchParams.get('token');
      if (token) secrets.add(token);
    }
    for (const code of m.text.match(/\b\d{6}\b/g) ?? []) secrets.add(code);
  }
  assert.ok([...secrets].some((s) => /reset-password\?token=/.test(s)), 'the reset link was found');
  assert.ok([...secrets].some((s) => /^\d{6}$/.test(s)), 'a code was found');
  const from = t.logs.length;
  assert.equal(await t.deps.outbox.deliverDue(), 3, 'the three messages went to the transport');
  return { email: creds.email, mails, secrets: [...secrets], lines: t.logs.slice(from), all: t.logs };
}

describe('configuration: production needs SMTP', () => {
  test('NODE_ENV=production without AUTH_SMTP_HOST is refused, naming the variable and the opt-in', () => {
    const problems = problemsOf(PROD);
    const smtp = problems.find((p) => p.startsWith('AUTH_SMTP_HOST:'));
    assert.ok(smtp, `a problem names AUTH_SMTP_HOST (${problems.join('; ')})`);
    assert.match(smtp, /NODE_ENV=production/);
    assert.match(smtp, /AUTH_EMAIL_LOG_IN_PRODUCTION=true/);
    assert.throws(() => loadConfig({ ...PROD, AUTH_SMTP_HOST: '   ' }), /AUTH_SMTP_HOST: required/, 'a blank host is no host');
    assert.throws(() => loadConfig({ ...PROD, AUTH_EMAIL_LOG_IN_PRODUCTION: 'false' }), /AUTH_SMTP_HOST: required/);
    assert.throws(() => loadConfig({ ...PROD, AUTH_EMAIL_LOG_IN_PRODUCTION: 'maybe' }), /AUTH_EMAIL_LOG_IN_PRODUCTION/);
  });

  test('SMTP, or the explicit opt-in, is accepted; development and test need neither', () => {
    assert.equal(loadConfig({ ...PROD, AUTH_SMTP_HOST: 'smtp.example.com' }).smtpHost, 'smtp.example.com');
    const optIn = loadConfig({ ...PROD, AUTH_EMAIL_LOG_IN_PRODUCTION: 'true' });
    assert.equal(optIn.emailLogInProduction, true);
    assert.ok(insecureSettings(optIn).some((w) => /AUTH_SMTP_HOST is not set \(AUTH_EMAIL_LOG_IN_PRODUCTION=true\): no email is sent/.test(w)), 'start-up warns');
    assert.doesNotThrow(() => loadConfig({ NODE_ENV: 'development' }));
    assert.doesNotThrow(() => loadConfig({ NODE_ENV: 'test' }));
  });

  test('the server does not start, and `tessera config check` exits 5 naming both variables', async () => {
    await assert.rejects(createTestApp({ env: { NODE_ENV: 'production' } }), (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith('AUTH_SMTP_HOST:')));
    const noDb = { env: {} } as unknown as TestDatabase;
    const refused = await tessera(noDb, ['config', 'check'], { env: { NODE_ENV: 'production' } });
    assert.equal(refused.code, 5, refused.out + refused.err);
    assert.match(refused.err, /AUTH_SMTP_HOST: required with NODE_ENV=production/);
    assert.match(refused.err, /AUTH_EMAIL_LOG_IN_PRODUCTION=true/);
    const accepted = await tessera(noDb, ['config', 'check', '--json'], { env: { NODE_ENV: 'production', AUTH_EMAIL_LOG_IN_PRODUCTION: 'true' } });
    assert.equal(accepted.code, 0, accepted.out + accepted.err);
    const report = JSON.parse(accepted.out) as { valid: boolean; warnings: string[] };
    assert.equal(report.valid, true);
    assert.ok(report.warnings.some((w) => w.includes('AUTH_EMAIL_LOG_IN_PRODUCTION=true')));
  });
});

describe('production with AUTH_EMAIL_LOG_IN_PRODUCTION=true', () => {
  test('starts; a password reset, a verification and a sign-in code write no link, token, code, subject or address to the log', async () => {
    const t = await createTestApp({ logLevel: 'debug', env: { NODE_ENV: 'production', AUTH_EMAIL_LOG_IN_PRODUCTION: 'true' } });
    try {
      assert.equal(t.config.nodeEnv, 'production');
      const { email, mails, secrets, lines, all } = await mailsAndLogs(t);
      const log = all.join('\n');
      // A code is looked for as a number of its own, not inside a timestamp.
      const holds = (s: string) => (/^\d{6}$/.test(s) ? new RegExp(`(?<!\\d)${s}(?!\\d)`).test(log) : log.includes(s));
      for (const s of secrets) assert.ok(!holds(s), `the log holds ${s.slice(0, 12)}...`);
      for (const m of mails) assert.ok(!log.includes(m.subject), `the log holds the subject "${m.subject}"`);
      assert.ok(!log.includes(email), 'the log holds the recipient\'s address');
      // What it does say: one line per message, with the template and the domain.
      const notSent = lines.map((l) => JSON.parse(l) as { level: number; email?: { kind: string; toDomain: string } }).filter((l) => l.email);
      assert.deepEqual(notSent.map((l) => l.email!.kind).sort(), ['email_code', 'password_reset', 'verify_email']);
      for (const l of notSent) {
        assert.equal(l.email!.toDomain, email.split('@')[1]);
        assert.deepEqual(Object.keys(l.email!).sort(), ['kind', 'mailId', 'toDomain']);
        assert.equal(l.level, 30, 'at info: the operator chose to send nothing, and start-up warned once');
      }
    } finally {
      await t.close();
    }
  });
});

describe('development without SMTP (the control)', () => {
  test('whole messages go to the log, links and codes included', async () => {
    const t = await createTestApp({ logLevel: 'info', env: { NODE_ENV: 'development' } });
    try {
      const { secrets, all } = await mailsAndLogs(t);
      const log = all.join('\n');
      for (const s of secrets) assert.ok(log.includes(s), `development shows ${s.slice(0, 12)}...`);
    } finally {
      await t.close();
    }
  });
});
