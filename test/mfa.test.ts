// Multi-factor authentication over HTTP: TOTP codes computed here from the secret at a
// controlled time, email codes read from the in-process SMTP server, SMS requests caught
// by local servers standing in for Twilio and SNS (their authentication checked), replay,
// expiry, wrong-code limits, recovery codes, enforcement by role, and step-up.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { ManualClock } from '../src/core/clock.ts';
import { bearer, createTestApp, decodeJwtPart, json, register, uniqueCredentials, type TestApp } from './helpers/app.ts';
import { loginReq, second, totp, withTotp } from './helpers/mfa.ts';
import { codeOf, SmtpSink } from './helpers/smtp.ts';

const T0 = Date.parse('2026-04-01T12:00:10Z');

let sink: SmtpSink;
before(async () => { sink = await new SmtpSink().start(); });
after(async () => { await sink.stop(); });

describe('TOTP', () => {
  const clock = new ManualClock(T0);
  let t: TestApp;
  before(async () => { t = await createTestApp({ clock, env: { ...sink.env(), AUTH_MFA_TOTP_ISSUER: 'Acme Auth', AUTH_REAUTH_MAX_AGE: '5m' } }); });
  after(async () => { await t.close(); });

  test('setup gives the secret, an otpauth URI with the issuer and a QR code; verify returns 10 recovery codes once', async () => {
    const { setup, recoveryCodes, accessToken } = await withTotp(t, clock);
    assert.match(setup.secret, /^[A-Z2-7]{32}$/);
    assert.match(setup.uri, /^otpauth:\/\/totp\/Acme%20Auth:[^?]+\?secret=[A-Z2-7]+&issuer=Acme%20Auth/);
    assert.match(setup.qrCode.svg, /^<svg[\s\S]*<\/svg>\s*$/);
    assert.match(setup.qrCode.dataUrl, /^data:image\/png;base64,/);
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);
    const listed = json(await t.app.inject({ method: 'GET', url: '/auth/mfa', headers: bearer(accessToken) }));
    assert.deepEqual(listed.factors.map((f: { type: string }) => f.type), ['totp']);
    assert.equal(listed.recoveryCodesRemaining, 10);
    const stored = JSON.stringify(await t.deps.db.selectFrom('mfa_factors').selectAll().execute()) + JSON.stringify(await t.deps.db.selectFrom('mfa_recovery_codes').selectAll().execute());
    assert.ok(!stored.includes(setup.secret) && !recoveryCodes.some((c) => stored.includes(c) || stored.includes(c.replace('-', ''))), 'secret sealed, codes hashed');
  });

  test('a right password gives 401 mfa_required; a TOTP code completes the sign-in with amr and aal2', async () => {
    const { creds, secret } = await withTotp(t, clock);
    const res = await loginReq(t, creds);
    assert.equal(res.statusCode, 401);
    const body = json(res);
    assert.equal(body.error, 'mfa_required');
    assert.equal(body.code, 'mfa_required');
    assert.deepEqual(body.methods, ['totp', 'recovery']);
    assert.ok(Date.parse(body.expires_at) > clock.now());
    const done = await second(t, { verification_id: body.verification_id, code: await totp(secret, clock.now()), method: 'totp' });
    assert.equal(done.statusCode, 200, done.body);
    const claims = decodeJwtPart(json(done).accessToken, 1);
    assert.deepEqual(claims.amr, ['pwd', 'otp']);
    assert.equal(claims.aal, 'aal2');
    // The refreshed token keeps it.
    const refreshed = json(await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: json(done).refreshToken } }));
    assert.deepEqual(decodeJwtPart(refreshed.accessToken, 1).amr, ['pwd', 'otp']);
    // The challenge is spent.
    assert.equal(json(await second(t, { verification_id: body.verification_id, code: await totp(secret, clock.now()), method: 'totp' })).code, 'mfa_challenge_invalid');
  });

  test('one step of drift either way is accepted; a code accepted once is refused when replayed; two steps off is refused', async () => {
    const { creds, secret } = await withTotp(t, clock);
    clock.advance(30_000); // the step before now is unused
    const challenge = async () => json(await loginReq(t, creds)).verification_id as string;
    const prev = await totp(secret, clock.now() - 30_000);
    assert.equal((await second(t, { verification_id: await challenge(), code: prev, method: 'totp' })).statusCode, 200, 'previous step');
    const replay = await second(t, { verification_id: await challenge(), code: prev, method: 'totp' });
    assert.equal(json(replay).code, 'invalid_code', 'replayed');
    const next = await totp(secret, clock.now() + 30_000);
    assert.equal((await second(t, { verification_id: await challenge(), code: next, method: 'totp' })).statusCode, 200, 'next step');
    clock.advance(120_000);
    const old = await totp(secret, clock.now() - 60_000);
    assert.equal(json(await second(t, { verification_id: await challenge(), code: old, method: 'totp' })).code, 'invalid_code', 'two steps back');
  });

  test('five wrong codes end the challenge; challenges expire', async () => {
    const { creds, secret } = await withTotp(t, clock);
    const id = json(await loginReq(t, creds)).verification_id;
    for (let i = 1; i <= 5; i++) {
      const r = await second(t, { verification_id: id, code: '000000', method: 'totp' });
      assert.equal(json(r).code, i < 5 ? 'invalid_code' : 'too_many_attempts');
    }
    // Wrong second factors count on the account's lockout like wrong passwords: the fifth
    // locks the account, so neither the right code nor the password opens it now.
    assert.equal(json(await second(t, { verification_id: id, code: await totp(secret, clock.now()), method: 'totp' })).code, 'rate_limited');
    assert.equal(json(await loginReq(t, creds)).code, 'rate_limited');
    await t.deps.auth.unlock((await t.deps.users.findByEmail(creds.email))!);
    const id2 = json(await loginReq(t, creds)).verification_id;
    clock.advance(10 * 60_000 + 1000);
    assert.equal(json(await second(t, { verification_id: id2, code: await totp(secret, clock.now()), method: 'totp' })).code, 'mfa_challenge_expired');
    for (const bad of [{ verification_id: 'nope', code: '1', method: 'totp' }, { verification_id: id2, code: '123456', method: 'carrier-pigeon' }, {}]) {
      assert.equal((await second(t, bad)).statusCode, 400, JSON.stringify(bad));
    }
  });

  test('a recovery code works in place of any factor, once', async () => {
    const { creds, recoveryCodes } = await withTotp(t, clock);
    const ok = await second(t, { verification_id: json(await loginReq(t, creds)).verification_id, code: recoveryCodes[3]!.toUpperCase(), method: 'recovery' });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(decodeJwtPart(json(ok).accessToken, 1).amr, ['pwd', 'recovery']);
    const again = await second(t, { verification_id: json(await loginReq(t, creds)).verification_id, code: recoveryCodes[3]!, method: 'recovery' });
    assert.equal(json(again).code, 'invalid_code');
    assert.equal(json(await t.app.inject({ method: 'GET', url: '/auth/mfa', headers: bearer(json(ok).accessToken) })).recoveryCodesRemaining, 9);
  });

  test('step-up: removing a factor, new recovery codes, password and email changes need a recent proof', async () => {
    const { creds, secret, recoveryCodes } = await withTotp(t, clock);
    const signIn = json(await second(t, { verification_id: json(await loginReq(t, creds)).verification_id, code: await totp(secret, clock.now()), method: 'totp' }));
    const auth = bearer(signIn.accessToken);
    const factorId = json(await t.app.inject({ method: 'GET', url: '/auth/mfa', headers: auth })).factors[0].id;
    clock.advance(6 * 60_000);
    const stale = [
      await t.app.inject({ method: 'DELETE', url: `/auth/mfa/${factorId}`, headers: auth }),
      await t.app.inject({ method: 'POST', url: '/auth/mfa/recovery-codes', headers: auth }),
      await t.app.inject({ method: 'POST', url: '/auth/password/change', headers: auth, payload: { currentPassword: creds.password, newPassword: 'a-new-Pass-123' } }),
      await t.app.inject({ method: 'POST', url: '/auth/email/change', headers: auth, payload: { newEmail: uniqueCredentials().email } }),
    ];
    for (const r of stale) {
      assert.equal(r.statusCode, 403, r.body);
      assert.equal(json(r).code, 'reauthentication_required');
    }
    assert.equal(json(await t.app.inject({ method: 'POST', url: '/auth/reauthenticate', headers: auth, payload: { password: 'wrong-password' } })).code, 'invalid_credentials');
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/reauthenticate', headers: auth, payload: { method: 'totp', code: await totp(secret, clock.now()) } })).statusCode, 200);
    const fresh = await t.app.inject({ method: 'POST', url: '/auth/mfa/recovery-codes', headers: auth });
    assert.equal(fresh.statusCode, 200);
    assert.equal(json(fresh).recoveryCodes.length, 10);
    assert.ok(!json(fresh).recoveryCodes.includes(recoveryCodes[0]));
    clock.advance(6 * 60_000);
    assert.equal(json(await t.app.inject({ method: 'DELETE', url: `/auth/mfa/${factorId}`, headers: auth })).code, 'reauthentication_required', 'the proof ages too');
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/reauthenticate', headers: auth, payload: { password: creds.password } })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/auth/mfa/${factorId}`, headers: auth })).statusCode, 200);
    assert.equal((await loginReq(t, creds)).statusCode, 200, 'without a factor the password signs in again');
    assert.equal(json(await t.app.inject({ method: 'GET', url: '/auth/mfa', headers: auth })).recoveryCodesRemaining, 0);
  });
});

describe('deleting the account', () => {
  test('needs a recent sign-in; then the user, their factors and every session are gone', async () => {
    const clock = new ManualClock(T0);
    const t = await createTestApp({ clock });
    try {
      // The first account is the super_admin, who cannot leave this way (test/rbac.test.ts).
      await register(t.app);
      const { creds, secret, accessToken } = await withTotp(t, clock);
      const other = json(await second(t, { verification_id: json(await loginReq(t, creds)).verification_id, code: await totp(secret, clock.now()), method: 'totp' }));
      clock.advance(6 * 60_000);
      const stale = await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: bearer(other.accessToken) });
      assert.equal(json(stale).code, 'reauthentication_required');
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/reauthenticate', headers: bearer(other.accessToken), payload: { password: creds.password } })).statusCode, 200);
      const gone = await t.app.inject({ method: 'DELETE', url: '/auth/me', headers: bearer(other.accessToken) });
      assert.equal(gone.statusCode, 200, gone.body);
      assert.equal(json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(accessToken) })).code, 'session_revoked', 'the other session too');
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: other.refreshToken } })).statusCode, 401);
      assert.equal(json(await loginReq(t, creds)).code, 'invalid_credentials');
      assert.equal((await t.deps.db.selectFrom('mfa_factors').select('id').execute()).length, 0);
    } finally {
      await t.close();
    }
  });
});

describe('email codes as a second factor', () => {
  test('the email factor sends its code at sign-in; another method can be asked for; reauthentication by email', async () => {
    const clock = new ManualClock(T0);
    const t = await createTestApp({ clock, env: sink.env() });
    try {
      const { secret, creds, accessToken } = await withTotp(t, clock);
      // The email must be verified before it can be a factor.
      assert.equal(json(await t.app.inject({ method: 'POST', url: '/auth/mfa/email', headers: bearer(accessToken) })).code, 'email_not_verified');
      const u = await t.deps.users.findByEmail(creds.email);
      await t.deps.db.updateTable('users').set({ email_verified: true }).where('id', '=', u!.id).execute();
      await t.deps.users.changed(u!.id);
      const enabled = await t.app.inject({ method: 'POST', url: '/auth/mfa/email', headers: bearer(accessToken) });
      assert.equal(enabled.statusCode, 200, enabled.body);
      assert.equal(json(enabled).recoveryCodes, null, 'the codes from TOTP stay');

      const ch = json(await loginReq(t, creds));
      assert.deepEqual(ch.methods, ['totp', 'email', 'recovery']);
      const before = sink.messages.length;
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/login/mfa/send', payload: { verification_id: ch.verification_id, method: 'email' } })).statusCode, 200);
      const code = codeOf(await sink.latest(creds.email, /sign-in code/, before));
      const done = await second(t, { verification_id: ch.verification_id, code, method: 'email' });
      assert.equal(done.statusCode, 200, done.body);
      assert.deepEqual(decodeJwtPart(json(done).accessToken, 1).amr, ['pwd', 'email']);
      assert.equal(json(await t.app.inject({ method: 'POST', url: '/auth/login/mfa/send', payload: { verification_id: ch.verification_id, method: 'sms' } })).code, 'mfa_challenge_invalid');

      clock.advance(10 * 60_000);
      const auth = bearer(json(done).accessToken);
      const mark = sink.messages.length;
      const sent = json(await t.app.inject({ method: 'POST', url: '/auth/reauthenticate/send', headers: auth, payload: { method: 'email' } }));
      const reCode = codeOf(await sink.latest(creds.email, /sign-in code/, mark));
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/reauthenticate', headers: auth, payload: { verification_id: sent.verification_id, code: reCode } })).statusCode, 200);
      void secret;
    } finally {
      await t.close();
    }
  });

  test('a user whose only factor is email gets the code with the mfa_required answer', async () => {
    const t = await createTestApp({ env: sink.env() });
    try {
      const { creds, user } = await register(t.app);
      await t.deps.db.updateTable('users').set({ email_verified: true }).where('id', '=', user.id).execute();
      await t.deps.users.changed(user.id);
      const first = json(await loginReq(t, creds));
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/mfa/email', headers: bearer(first.accessToken) })).statusCode, 200);
      const before = sink.messages.length;
      const ch = json(await loginReq(t, creds));
      assert.deepEqual(ch.methods, ['email', 'recovery']);
      const code = codeOf(await sink.latest(creds.email, /sign-in code/, before));
      assert.equal((await second(t, { verification_id: ch.verification_id, code, method: 'email' })).statusCode, 200);
    } finally {
      await t.close();
    }
  });
});

/** A local server that records requests with their bodies. */
async function recorder(handle: (req: IncomingMessage, body: string) => number) {
  const seen: { req: IncomingMessage; body: string; status: number }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      const status = handle(req, body);
      seen.push({ req, body, status });
      res.writeHead(status, { 'content-type': 'application/json' }).end(status < 300 ? '{"sid":"SM123","status":"queued"}' : '{"message":"Authenticate"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { seen, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => new Promise((r) => server.close(r)) };
}

describe('SMS codes', () => {
  test('Twilio: the phone is verified with its code (Basic auth checked), then SMS answers sign-in; per-number cap', async () => {
    const twilio = await recorder((req) => (req.headers.authorization === `Basic ${Buffer.from('AC123:twilio-token').toString('base64')}` && req.url === '/2010-04-01/Accounts/AC123/Messages.json' ? 201 : 401));
    const t = await createTestApp({ env: {
      ...sink.env(), AUTH_MFA_SMS_ENABLED: 'true', SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC123', TWILIO_AUTH_TOKEN: 'twilio-token',
      TWILIO_PHONE_NUMBER: '+15005550006', TWILIO_API_URL: twilio.url, AUTH_MFA_SMS_PER_NUMBER_LIMIT: '3',
    } });
    try {
      const { creds } = await register(t.app);
      const auth = bearer(json(await loginReq(t, creds)).accessToken);
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/mfa/sms/enroll', headers: auth, payload: { phone: '0612345678' } })).statusCode, 400, 'E.164 only');
      const enroll = await t.app.inject({ method: 'POST', url: '/auth/mfa/sms/enroll', headers: auth, payload: { phone: '+33612345678' } });
      assert.equal(enroll.statusCode, 200, enroll.body);
      const sms = new URLSearchParams(twilio.seen.at(-1)!.body);
      assert.equal(twilio.seen.at(-1)!.status, 201);
      assert.equal(sms.get('To'), '+33612345678');
      assert.equal(sms.get('From'), '+15005550006');
      const code = /\b(\d{6})\b/.exec(sms.get('Body') ?? '')![1]!;
      assert.equal(json(await t.app.inject({ method: 'GET', url: '/auth/mfa', headers: auth })).factors.length, 0, 'not a factor before the code comes back');
      const verified = await t.app.inject({ method: 'POST', url: '/auth/mfa/sms/verify', headers: auth, payload: { verification_id: json(enroll).verification_id, code } });
      assert.equal(verified.statusCode, 200, verified.body);
      assert.equal(json(verified).recoveryCodes.length, 10);
      assert.match(json(await t.app.inject({ method: 'GET', url: '/auth/mfa', headers: auth })).factors[0].phone, /^\+33•+78$/);

      const ch = json(await loginReq(t, creds));
      assert.deepEqual(ch.methods, ['sms', 'recovery']);
      const loginCode = /\b(\d{6})\b/.exec(new URLSearchParams(twilio.seen.at(-1)!.body).get('Body') ?? '')![1]!;
      const done = await second(t, { verification_id: ch.verification_id, code: loginCode, method: 'sms' });
      assert.equal(done.statusCode, 200, done.body);
      assert.deepEqual(decodeJwtPart(json(done).accessToken, 1).amr, ['pwd', 'sms']);
      // The third message to this number this hour is the last; the fourth is refused.
      const third = json(await loginReq(t, creds));
      assert.equal(third.code, 'mfa_required');
      const capped = await t.app.inject({ method: 'POST', url: '/auth/login/mfa/send', payload: { verification_id: third.verification_id, method: 'sms' } });
      assert.equal(capped.statusCode, 429, capped.body);
      assert.equal(json(capped).code, 'rate_limited');
      assert.equal(twilio.seen.length, 3);
    } finally {
      await t.close();
      await twilio.close();
    }
  });

  test('AWS SNS: Publish requests carry a valid Signature Version 4', async () => {
    const secretKey = 'sns-secret-access-key';
    const sns = await recorder((req, body) => (verifySigV4(req, body, 'AKIDEXAMPLE', secretKey, 'eu-west-1', 'sns') ? 200 : 403));
    const t = await createTestApp({ env: {
      AUTH_MFA_SMS_ENABLED: 'true', SMS_PROVIDER: 'aws_sns', AWS_SNS_ACCESS_KEY: 'AKIDEXAMPLE', AWS_SNS_SECRET_KEY: secretKey, AWS_SNS_REGION: 'eu-west-1', AWS_SNS_ENDPOINT: sns.url,
    } });
    try {
      const { creds } = await register(t.app);
      const auth = bearer(json(await loginReq(t, creds)).accessToken);
      const enroll = await t.app.inject({ method: 'POST', url: '/auth/mfa/sms/enroll', headers: auth, payload: { phone: '+447700900123' } });
      assert.equal(enroll.statusCode, 200, enroll.body);
      assert.equal(sns.seen.at(-1)!.status, 200, 'the signature verified');
      const form = new URLSearchParams(sns.seen.at(-1)!.body);
      assert.equal(form.get('Action'), 'Publish');
      assert.equal(form.get('PhoneNumber'), '+447700900123');
      const code = /\b(\d{6})\b/.exec(form.get('Message') ?? '')![1]!;
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/mfa/sms/verify', headers: auth, payload: { verification_id: json(enroll).verification_id, code } })).statusCode, 200);
    } finally {
      await t.close();
      await sns.close();
    }
  });

  test('a provider that refuses is a clear error, and nothing is enrolled', async () => {
    const twilio = await recorder(() => 401);
    const t = await createTestApp({ env: { AUTH_MFA_SMS_ENABLED: 'true', SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 'x', TWILIO_PHONE_NUMBER: '+15005550006', TWILIO_API_URL: twilio.url } });
    try {
      const { creds } = await register(t.app);
      const auth = bearer(json(await loginReq(t, creds)).accessToken);
      const res = await t.app.inject({ method: 'POST', url: '/auth/mfa/sms/enroll', headers: auth, payload: { phone: '+33612345678' } });
      assert.equal(json(res).code, 'mfa_delivery_failed');
      assert.equal((await t.deps.db.selectFrom('mfa_factors').select('id').execute()).length, 0);
    } finally {
      await t.close();
      await twilio.close();
    }
  });
});

/** Recomputes an AWS Signature Version 4 from the request, independently of the signer. */
function verifySigV4(req: IncomingMessage, body: string, accessKey: string, secret: string, region: string, service: string): boolean {
  const auth = String(req.headers.authorization ?? '');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m || m[1] !== accessKey || m[3] !== region || m[4] !== service) return false;
  const signedHeaders = m[5]!.split(';');
  const amzDate = String(req.headers['x-amz-date']);
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${String(req.headers[h]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = ['POST', req.url?.split('?')[0] ?? '/', '', canonicalHeaders, signedHeaders.join(';'), sha(body)].join('\n');
  const scope = `${m[2]}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha(canonical)].join('\n');
  const hmac = (k: Buffer | string, d: string) => createHmac('sha256', k).update(d).digest();
  const kSigning = hmac(hmac(hmac(hmac(`AWS4${secret}`, m[2]!), region), service), 'aws4_request');
  return createHmac('sha256', kSigning).update(toSign).digest('hex') === m[6];
}

describe('AUTH_MFA_REQUIRED_FOR_ROLES', () => {
  test('a user of such a role without a factor gets an enrollment token that only enrolls, then signs in', async () => {
    const clock = new ManualClock(T0);
    const t = await createTestApp({ clock, env: { AUTH_MFA_REQUIRED_FOR_ROLES: 'admin,moderator' } });
    try {
      const { creds } = await register(t.app); // the first user: admin
      const res = await loginReq(t, creds);
      assert.equal(res.statusCode, 403);
      const body = json(res);
      assert.equal(body.code, 'mfa_enrollment_required');
      const token = body.enrollment_token as string;
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) })).statusCode, 401, 'not an access token');
      const setup = json(await t.app.inject({ method: 'POST', url: '/auth/mfa/totp/setup', payload: { enrollmentToken: token } }));
      const done = await t.app.inject({ method: 'POST', url: '/auth/mfa/totp/verify', payload: { enrollmentToken: token, code: await totp(setup.secret, clock.now()) } });
      assert.equal(done.statusCode, 200, done.body);
      assert.equal(json(done).recoveryCodes.length, 10);
      assert.deepEqual(decodeJwtPart(json(done).accessToken, 1).amr, ['pwd', 'otp'], 'signed in');
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/mfa/totp/setup', payload: { enrollmentToken: token } })).statusCode, 401, 'the token is spent');
      clock.advance(30_000);
      assert.equal(json(await loginReq(t, creds)).code, 'mfa_required', 'from now on, a second factor');
      // Other roles are not concerned.
      const { creds: viewer, user } = await register(t.app);
      assert.equal((await loginReq(t, viewer)).statusCode, 200);
      // An extra role counts, and so does a role that includes a listed one.
      const admin = bearer(json(done).accessToken);
      assert.equal((await t.app.inject({ method: 'PUT', url: `/admin/users/${user.id}/roles/moderator`, headers: admin })).statusCode, 200);
      assert.equal(json(await loginReq(t, viewer)).code, 'mfa_enrollment_required');
      await t.app.inject({ method: 'DELETE', url: `/admin/users/${user.id}/roles/moderator`, headers: admin });
      assert.equal((await loginReq(t, viewer)).statusCode, 200);
      assert.equal((await t.app.inject({ method: 'POST', url: '/admin/roles', headers: admin, payload: { name: 'ops', includes: ['moderator'] } })).statusCode, 201);
      await t.app.inject({ method: 'PUT', url: `/admin/users/${user.id}/roles/ops`, headers: admin });
      assert.equal(json(await loginReq(t, viewer)).code, 'mfa_enrollment_required');
    } finally {
      await t.close();
    }
  });
});

describe('passwordless sign-in and MFA', () => {
  test('an email code signs in only after the second factor too', async () => {
    const clock = new ManualClock(T0);
    const t = await createTestApp({ clock, env: sink.env() });
    try {
      const { creds, secret } = await withTotp(t, clock);
      // An address already proven (here by an administrator's word): the factor stays, and
      // the email code is a first factor only.
      await t.deps.db.updateTable('users').set({ email_verified: true }).where('email', '=', creds.email).execute();
      const before = sink.messages.length;
      await t.app.inject({ method: 'POST', url: '/auth/email-code', payload: { email: creds.email } });
      await t.deps.settle();
      const code = codeOf(await sink.latest(creds.email, /sign-in code/, before));
      const res = await t.app.inject({ method: 'POST', url: '/auth/email-code/verify', payload: { email: creds.email, code, client: 'native' } });
      assert.equal(res.statusCode, 401);
      assert.equal(json(res).code, 'mfa_required');
      const done = await second(t, { verification_id: json(res).verification_id, code: await totp(secret, clock.now()), method: 'totp' });
      assert.equal(done.statusCode, 200, done.body);
      assert.deepEqual(decodeJwtPart(json(done).accessToken, 1).amr, ['otp', 'otp']);
    } finally {
      await t.close();
    }
  });
});
