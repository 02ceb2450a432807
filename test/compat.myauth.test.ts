// The myauth profile (AUTH_COMPAT_PROFILES=myauth): the request and response shapes of the
// NestJS email-and-password service it replaces, written from its contract, over Tessera's
// services, the real SMTP sink for its codes, and the one sign-in gate.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '../src/core/config/index.ts';
import { baseEnv, bearer, createTestApp, json, type TestApp } from './helpers/app.ts';
import { problemsOf } from './helpers/config.ts';
import { SmtpSink } from './helpers/smtp.ts';

const PASSWORD = 'Myauth-Passw0rd-long';
const NEW_PASSWORD = 'Myauth-Renewed-Passw0rd';
const P = '/api/v1/auth';

describe('myauth profile: start-up', () => {
  test('the profile is known; its prefix is /api/v1/auth unless set, and `/` is refused', () => {
    assert.equal(loadConfig({ ...baseEnv(), AUTH_COMPAT_PROFILES: 'myauth' }).compatPrefixMyauth, '/api/v1/auth');
    assert.equal(loadConfig({ ...baseEnv(), AUTH_COMPAT_PROFILES: 'myauth', AUTH_COMPAT_PREFIX_MYAUTH: '/legacy/' }).compatPrefixMyauth, '/legacy');
    assert.match(problemsOf({ AUTH_COMPAT_PROFILES: 'myauth', AUTH_COMPAT_PREFIX_MYAUTH: '/' })[0]!, /^AUTH_COMPAT_PREFIX_MYAUTH: `\/` is refused/);
    assert.match(problemsOf({ AUTH_COMPAT_PROFILES: 'myauth,nope' })[0]!, /^AUTH_COMPAT_PROFILES: expected a comma list of myauth, mstack, edd/);
  });
});

describe('myauth profile: the contract', () => {
  const smtp = new SmtpSink();
  let t: TestApp;
  before(async () => {
    await smtp.start();
    t = await createTestApp({ env: { AUTH_COMPAT_PROFILES: 'myauth', AUTH_EMAIL_VERIFICATION_RESEND_INTERVAL: '1s', ...smtp.env() } });
  });
  after(async () => {
    await t?.close();
    await smtp.stop();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, payload?: unknown, token?: string) =>
    t.app.inject({ method, url: `${P}${path}`, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}), headers: token ? bearer(token) : {} });
  const address = () => `my_${randomBytes(4).toString('hex')}@example.com`;
  /** The 6-digit code of the `nth` message (0-based) to an address, waiting for it. */
  async function codeOf(to: string, nth = 0): Promise<string> {
    await smtp.waitFor(() => smtp.to(to).length > nth);
    const m = /\b(\d{6})\b/.exec(smtp.to(to)[nth]!.text);
    assert.ok(m, 'a code in the message');
    return m[1]!;
  }
  function assertError(res: { statusCode: number; body: string }, status: number, code: string) {
    assert.equal(res.statusCode, status, res.body);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    assert.equal(body.statusCode, status);
    assert.equal(body.error, code);
    assert.equal(typeof body.message, 'string');
  }
  async function signUp(): Promise<{ email: string; verificationId: string; token: string }> {
    const email = address();
    const res = await call('POST', '/sign-up', { email, password: PASSWORD });
    assert.equal(res.statusCode, 201, res.body);
    const verificationId = json(res).verification_id as string;
    const verified = await call('POST', '/verify-email', { token_id: verificationId, code: await codeOf(email) });
    assert.equal(verified.statusCode, 200, verified.body);
    return { email, verificationId, token: json(verified).token };
  }

  test('sign-up {email,password} -> 201 {verification_id,expires_at}; verify-email {token_id,code} -> {token} signed in and verified', async () => {
    const email = address();
    const res = await call('POST', '/sign-up', { email, password: PASSWORD });
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(Object.keys(json(res)).sort(), ['expires_at', 'verification_id']);
    assert.ok(Date.parse(json(res).expires_at) > Date.now());
    const code = await codeOf(email);
    // A wrong code is refused in myauth's shape, and spends nothing.
    assertError(await call('POST', '/verify-email', { token_id: json(res).verification_id, code: code === '000000' ? '111111' : '000000' }), 400, 'invalid_code');
    const verified = await call('POST', '/verify-email', { token_id: json(res).verification_id, code });
    assert.equal(verified.statusCode, 200, verified.body);
    assert.deepEqual(Object.keys(json(verified)), ['token']);
    const me = await call('GET', '/me', undefined, json(verified).token);
    assert.equal(me.statusCode, 200, me.body);
    assert.deepEqual(json(me).user, { id: json(me).user.id, email, is_email_verified: true, image_url: null });
    assert.deepEqual(Object.keys(json(me).session).sort(), ['client', 'expires_at', 'id', 'ip', 'parsed_location']);
    // The token is a Tessera access token: Tessera's own API takes it.
    const own = await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(json(verified).token) });
    assert.equal(json(own).email, email);
    assert.match(json(own).username, /^my_[0-9a-f]{8}_[0-9a-f]{6}$/, 'a username made from the address');
    // The proof is single-use: the same id and code sign nobody in again.
    assertError(await call('POST', '/verify-email', { token_id: json(res).verification_id, code }), 400, 'invalid_code');
  });

  test('bad bodies are 400 in myauth\'s shape; a taken address is 409', async () => {
    for (const bad of [{ email: address() }, { password: PASSWORD }, { email: address(), password: PASSWORD, username: 'extra' }, { email: 5, password: PASSWORD }]) {
      assertError(await call('POST', '/sign-up', bad), 400, 'validation_failed');
    }
    assertError(await call('POST', '/verify-email', { token_id: 'not-a-uuid', code: '123456' }), 400, 'validation_failed');
    assertError(await call('POST', '/sign-up', { email: address(), password: 'password' }), 400, 'password_too_common');
    const { email } = await signUp();
    assertError(await call('POST', '/sign-up', { email, password: PASSWORD }), 409, 'email_taken');
  });

  test('a verification id is worth nothing without the mailed code; another registration\'s code does not fit it', async () => {
    const a = address();
    const b = address();
    const ra = json(await call('POST', '/sign-up', { email: a, password: PASSWORD }));
    await call('POST', '/sign-up', { email: b, password: PASSWORD });
    const codeB = await codeOf(b);
    const codeA = await codeOf(a);
    if (codeA !== codeB) assertError(await call('POST', '/verify-email', { token_id: ra.verification_id, code: codeB }), 400, 'invalid_code');
    assertError(await call('POST', '/verify-email', { token_id: randomUUID(), code: codeA }), 400, 'invalid_code');
  });

  test('resend/verification/email {token_id} -> a new {verification_id,expires_at}; the new code verifies', async () => {
    const email = address();
    const first = json(await call('POST', '/sign-up', { email, password: PASSWORD }));
    await codeOf(email, 0);
    // Tessera's resend interval applies (1 s here): at once is too soon.
    assertError(await call('POST', '/resend/verification/email', { token_id: first.verification_id }), 429, 'rate_limited');
    await new Promise((r) => setTimeout(r, 1_100));
    const again = await call('POST', '/resend/verification/email', { token_id: first.verification_id });
    assert.equal(again.statusCode, 200, again.body);
    assert.notEqual(json(again).verification_id, first.verification_id);
    const code = await codeOf(email, 1);
    const verified = await call('POST', '/verify-email', { token_id: json(again).verification_id, code });
    assert.equal(verified.statusCode, 200, verified.body);
    // Nothing to resend once verified, and an unknown id is refused alike.
    assertError(await call('POST', '/resend/verification/email', { token_id: json(again).verification_id }), 400, 'email_token_invalid');
    assertError(await call('POST', '/resend/verification/email', { token_id: randomUUID() }), 400, 'email_token_invalid');
  });

  test('sign-in/credentials -> {token}; a wrong password or an unknown address is the same 401', async () => {
    const { email } = await signUp();
    const ok = await call('POST', '/sign-in/credentials', { email, password: PASSWORD });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(Object.keys(json(ok)), ['token']);
    const wrong = await call('POST', '/sign-in/credentials', { email, password: 'Not-The-Passw0rd-x' });
    const unknown = await call('POST', '/sign-in/credentials', { email: address(), password: PASSWORD });
    assertError(wrong, 401, 'invalid_credentials');
    assertError(unknown, 401, 'invalid_credentials');
    assert.deepEqual(json(wrong), json(unknown));
  });

  test('enable/mfa -> the mailed code is asked: mfa_required {verification_id,expires_at,message}, then sign-in/mfa {token_id,code}; disable/mfa', async () => {
    const { email, token } = await signUp();
    const on = await call('PATCH', '/enable/mfa', undefined, token);
    assert.equal(on.statusCode, 200, on.body);
    assert.equal(json(on).is_mfa_enabled, true);
    const mailsBefore = smtp.to(email).length;
    const challenged = await call('POST', '/sign-in/credentials', { email, password: PASSWORD });
    assertError(challenged, 401, 'mfa_required');
    const c = json(challenged);
    assert.match(c.verification_id, /^[0-9a-f-]{36}$/);
    assert.ok(Date.parse(c.expires_at) > Date.now());
    assert.ok(!('token' in c));
    const code = await codeOf(email, mailsBefore);
    assertError(await call('POST', '/sign-in/mfa', { token_id: c.verification_id, code: code === '000000' ? '111111' : '000000' }), 400, 'invalid_code');
    const done = await call('POST', '/sign-in/mfa', { token_id: c.verification_id, code });
    assert.equal(done.statusCode, 200, done.body);
    const second = json(done).token as string;
    // The session has both factors.
    const claims = JSON.parse(Buffer.from(second.split('.')[1]!, 'base64url').toString()) as { amr: string[] };
    assert.ok(claims.amr.includes('pwd') && new Set(claims.amr.filter((m) => m !== 'mfa')).size >= 2, JSON.stringify(claims.amr));
    // A spent challenge signs nobody in again.
    assert.equal((await call('POST', '/sign-in/mfa', { token_id: c.verification_id, code })).statusCode >= 400, true);
    // Turning it off needs the password (or a recent sign-in: this one is).
    const wrongPw = await call('PATCH', '/disable/mfa', { password: 'Not-The-Passw0rd-x' }, second);
    assertError(wrongPw, 401, 'invalid_credentials');
    const off = await call('PATCH', '/disable/mfa', { password: PASSWORD }, second);
    assert.equal(off.statusCode, 200, off.body);
    assert.equal(json(off).is_mfa_enabled, false);
    assertError(await call('PATCH', '/disable/mfa', { password: PASSWORD }, second), 400, 'mfa_not_enabled');
    const plain = await call('POST', '/sign-in/credentials', { email, password: PASSWORD });
    assert.equal(plain.statusCode, 200, plain.body);
  });

  test('me/all lists the sessions; logout/all ends the others, logout this one', async () => {
    const { email, token: first } = await signUp();
    const second = json(await call('POST', '/sign-in/credentials', { email, password: PASSWORD })).token as string;
    const all = await call('GET', '/me/all', undefined, second);
    assert.equal(all.statusCode, 200, all.body);
    assert.equal(json(all).length, 2);
    assert.equal(json(all).filter((s: { current: boolean }) => s.current).length, 1);
    const out = await call('DELETE', '/logout/all', undefined, second);
    assert.equal(out.statusCode, 200, out.body);
    assert.equal((await call('GET', '/me', undefined, first)).statusCode, 401);
    assert.equal((await call('GET', '/me', undefined, second)).statusCode, 200);
    assert.equal(json(await call('GET', '/me/all', undefined, second)).length, 1);
    assert.equal((await call('DELETE', '/logout', undefined, second)).statusCode, 200);
    assertError(await call('GET', '/me', undefined, second), 401, json(await call('GET', '/me', undefined, second)).error);
    assert.equal((await call('GET', '/me')).statusCode, 401);
  });

  test('reset/password: GET mails a code (the same answer for an unknown address); PATCH sets the password and ends every session', async () => {
    const { email, token } = await signUp();
    const before = smtp.to(email).length;
    const asked = await call('GET', `/reset/password?email=${encodeURIComponent(email)}`);
    const unknown = await call('GET', `/reset/password?email=${encodeURIComponent(address())}`);
    assert.equal(asked.statusCode, 200, asked.body);
    assert.equal(unknown.statusCode, 200);
    assert.deepEqual(json(asked), json(unknown));
    const code = await codeOf(email, before);
    assertError(await call('PATCH', '/reset/password', { email, code: code === '000000' ? '111111' : '000000', password: NEW_PASSWORD }), 400, 'invalid_code');
    const done = await call('PATCH', '/reset/password', { email, code, password: NEW_PASSWORD });
    assert.equal(done.statusCode, 200, done.body);
    assert.equal((await call('GET', '/me', undefined, token)).statusCode, 401);
    assertError(await call('POST', '/sign-in/credentials', { email, password: PASSWORD }), 401, 'invalid_credentials');
    assert.equal((await call('POST', '/sign-in/credentials', { email, password: NEW_PASSWORD })).statusCode, 200);
  });
});
