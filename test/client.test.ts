// @tessera/client against the real server over HTTP (native mode: the refresh token in
// the client's storage): sign-up and sign-in, MFA as a typed result, the user, the
// refreshing fetch and its single flight, sessions and revocation, email codes,
// password change, sign-out, and the errors as TesseraError with the server's code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { createClient, memoryStorage, TesseraError, type AuthEvent, type TesseraClient } from '../packages/client/src/index.ts';
import { createTestApp, uniqueCredentials, type TestApp } from './helpers/app.ts';
import { codeOf, linkOf, SmtpSink, tokenOf } from './helpers/smtp.ts';

let t: TestApp;
let base = '';
let sink: SmtpSink;
const clients: TesseraClient[] = [];
/** Every request the clients send, as `METHOD /path`. */
const wire: string[] = [];

function client(opts: { refreshMargin?: number; url?: string } = {}) {
  const storage = memoryStorage();
  const c = createClient({
    url: opts.url ?? base, client: 'native', storage, autoRefresh: false, ...opts,
    fetch: (input, init) => {
      wire.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
      return fetch(input, init);
    },
  });
  clients.push(c);
  const events: AuthEvent[] = [];
  c.onAuthStateChange((e) => events.push(e));
  return { c, storage, events };
}
const count = (what: string, from: number) => wire.slice(from).filter((w) => w === what).length;

before(async () => {
  sink = await new SmtpSink().start();
  t = await createTestApp({ env: { ...sink.env(), AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false', AUTH_REFRESH_TOKEN_REUSE_INTERVAL: '0', AUTH_EMAIL_VERIFICATION_RESEND_INTERVAL: '1s', AUTH_REDIRECT_ALLOWLIST: 'tessera-test://callback' } });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  for (const c of clients) c.dispose();
  await t.close();
  await sink.stop();
});

describe('@tessera/client (native)', () => {
  test('sign-up, sign-in, the user, refresh with rotation in storage, sign-out', async () => {
    const { c, storage, events } = client();
    const creds = uniqueCredentials('sdk');
    const { user } = await c.signUp(creds);
    assert.equal(user.email, creds.email);
    assert.equal(c.getSession(), null);

    const wrong = await c.signIn({ email: creds.email, password: 'not-it-at-all-1' }).catch((e: unknown) => e);
    assert.ok(wrong instanceof TesseraError);
    assert.deepEqual([wrong.code, wrong.status], ['invalid_credentials', 401]);

    const res = await c.signIn({ email: creds.email, password: creds.password });
    assert.equal(res.status, 'signed_in');
    assert.ok(res.status === 'signed_in' && res.user.id === user.id);
    const firstRefresh = await storage.getItem('tessera.refreshToken');
    assert.ok(firstRefresh, 'the refresh token is kept in storage');
    assert.ok(c.getSession()!.expiresAt > Date.now());
    assert.equal((await c.getUser())!.id, user.id);

    await c.refreshSession();
    const rotated = await storage.getItem('tessera.refreshToken');
    assert.ok(rotated && rotated !== firstRefresh, 'the rotated refresh token replaced the old one');

    // The fetch wrapper attaches the token.
    const me = await c.fetch(`${base}/auth/me`);
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { id: string }).id, user.id);
    const anonymous = await fetch(`${base}/auth/me`);
    assert.equal(anonymous.status, 401);

    await c.signOut();
    assert.equal(c.getSession(), null);
    assert.equal(await storage.getItem('tessera.refreshToken'), null);
    assert.equal(await c.getAccessToken(), null);
    // The server ended the session: the old refresh token is refused.
    const stale = await fetch(`${base}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: rotated }) });
    assert.equal(stale.status, 401);
    assert.deepEqual(events, ['SIGNED_IN', 'USER_UPDATED', 'TOKEN_REFRESHED', 'SIGNED_OUT']);
  });

  test('concurrent calls share one refresh; a token near expiry is refreshed before use', async () => {
    // A margin longer than the token's life: every token counts as about to expire.
    const { c } = client({ refreshMargin: 3600 });
    const creds = uniqueCredentials('flight');
    await c.signUp(creds);
    await c.signIn(creds);
    const from = wire.length;
    const results = await Promise.all(Array.from({ length: 8 }, () => c.getAccessToken()));
    assert.equal(count('POST /auth/refresh', from), 1, 'one refresh request for eight callers');
    assert.equal(new Set(results).size, 1);
    const from2 = wire.length;
    await Promise.all([c.getUser(), c.sessions.list(), c.mfa.list()]);
    assert.equal(count('POST /auth/refresh', from2), 1);
  });

  test('MFA is a typed result; verifyMfa completes the sign-in', async () => {
    const { c } = client();
    const creds = uniqueCredentials('mfa');
    await c.signUp(creds);
    await c.signIn(creds);
    const setup = await c.mfa.setupTotp();
    assert.match(setup.uri, /^otpauth:\/\/totp\//);
    const activated = await c.mfa.verifyTotp(await generate({ secret: setup.secret }));
    assert.ok(Array.isArray(activated.recoveryCodes));
    await c.signOut();

    const first = await c.signIn(creds);
    assert.equal(first.status, 'mfa_required');
    assert.ok(first.status === 'mfa_required' && first.methods.includes('totp') && first.verificationId);
    if (first.status !== 'mfa_required') return;
    const bad = await c.verifyMfa({ verificationId: first.verificationId, code: '000000' === (await generate({ secret: setup.secret })) ? '111111' : '000000', method: 'totp' }).catch((e: unknown) => e);
    assert.ok(bad instanceof TesseraError);
    // The next time step's code: the activation code is spent.
    const done = await c.verifyMfa({ verificationId: first.verificationId, code: await generate({ secret: setup.secret, epoch: Math.floor(Date.now() / 1000) + 30 }), method: 'totp' });
    assert.equal(done.status, 'signed_in');
    assert.equal((await c.getUser())!.email, creds.email);
  });

  test('sessions: list, current, revoke others; a revoked client is signed out', async () => {
    const creds = uniqueCredentials('devices');
    const a = client();
    const b = client();
    await a.c.signUp(creds);
    await a.c.signIn(creds);
    await b.c.signIn(creds);
    const listed = await a.c.sessions.list();
    assert.equal(listed.sessions.length, 2);
    const current = await a.c.sessions.current();
    assert.ok(listed.sessions.some((s) => s.id === current.id));
    await a.c.sessions.revokeOthers();
    const err = await b.c.getUser().catch((e: unknown) => e);
    assert.ok(err instanceof TesseraError, String(err));
    assert.equal(err.code, 'session_revoked');
    assert.equal(b.c.getSession(), null, 'the revoked client signed itself out');
    assert.ok(b.events.includes('SIGNED_OUT'));
    assert.equal(await b.storage.getItem('tessera.refreshToken'), null);
    assert.equal((await a.c.getUser())!.email, creds.email, 'the other one goes on');
  });

  test('email code sign-in, password change, OAuth URLs', async () => {
    const { c } = client();
    const creds = uniqueCredentials('coded');
    await c.signUp(creds);
    // The client that registered proves the address as the registrant (its password stays);
    // an email code on a never-verified address would otherwise clear what was set before it.
    await c.email.verify({ email: creds.email, code: codeOf(await sink.latest(creds.email, /verify|confirm/i)) });
    await c.emailCode.send(creds.email);
    const code = codeOf(await sink.latest(creds.email, /sign-in code/i));
    const res = await c.emailCode.verify(creds.email, code);
    assert.equal(res.status, 'signed_in');
    await c.password.change(creds.password, 'An-entirely-new-passphrase-7');
    await c.signOut();
    assert.equal((await c.signIn({ email: creds.email, password: 'An-entirely-new-passphrase-7' })).status, 'signed_in');
    assert.equal(c.oauth.url('google', { redirectTo: 'https://app.example.com/after' }), `${base}/auth/oauth/google?redirectTo=https%3A%2F%2Fapp.example.com%2Fafter`);
    // Social sign-in is not configured on this server: the calls reach it and say so.
    assert.deepEqual(await c.oauth.providers(), []);
    const unknown = await c.oauth.linkUrl('github').catch((e: unknown) => e);
    assert.ok(unknown instanceof TesseraError && unknown.code === 'oauth_provider_unknown', String(unknown));
    assert.deepEqual(await c.identities.list(), []);
    const none = await c.identities.providerToken('github').catch((e: unknown) => e);
    assert.ok(none instanceof TesseraError && none.code === 'identity_not_found');
    const notFound = await c.sessions.revoke('00000000-0000-4000-8000-000000000000').catch((e: unknown) => e);
    assert.ok(notFound instanceof TesseraError && notFound.status === 404);
  });

  test('initialize restores a stored session, or says there is none', async () => {
    const creds = uniqueCredentials('restore');
    const first = client();
    await first.c.signUp(creds);
    await first.c.signIn(creds);
    const stored = (await first.storage.getItem('tessera.refreshToken'))!;
    const storage = memoryStorage();
    await storage.setItem('tessera.refreshToken', stored);
    const again = createClient({ url: base, client: 'native', storage, autoRefresh: false });
    clients.push(again);
    const events: AuthEvent[] = [];
    again.onAuthStateChange((e) => events.push(e));
    const s = await again.initialize();
    assert.equal(s?.user?.email, creds.email);
    assert.deepEqual(events, ['SIGNED_IN', 'USER_UPDATED', 'INITIAL_SESSION']);
    const empty = client();
    assert.equal(await empty.c.initialize(), null);
    assert.deepEqual(empty.events, ['INITIAL_SESSION']);
  });

  test('email flows: verification and resend, magic link, forgotten password, change of address', async () => {
    const { c } = client();
    const creds = uniqueCredentials('mails');
    await c.signUp(creds);
    const first = await sink.latest(creds.email, /verify|confirm/i);
    await new Promise((r) => setTimeout(r, 1100));
    await c.email.resendVerification(creds.email);
    const second = await sink.latest(creds.email, /verify|confirm/i, sink.messages.indexOf(first) + 1);
    const bad = await c.email.verify({ email: creds.email, code: codeOf(second) === '000000' ? '111111' : '000000' }).catch((e: unknown) => e);
    assert.ok(bad instanceof TesseraError && bad.code === 'invalid_code', String(bad));
    const verified = await c.email.verify({ email: creds.email, code: codeOf(second) });
    assert.equal(verified.user.emailVerified, true);

    const before = sink.messages.length;
    await c.magicLink.send({ email: creds.email, redirectTo: 'tessera-test://callback' });
    const link = linkOf(await sink.latest(creds.email, /sign in|link/i, before), 'tessera-test://callback');
    const viaLink = await c.magicLink.verify(tokenOf(link));
    assert.equal(viaLink.status, 'signed_in');
    assert.ok(viaLink.status === 'signed_in' && viaLink.user.email === creds.email);

    // A change of address, confirmed with the request id and the code sent to the new one.
    const newEmail = `moved-${creds.email}`;
    const change = await c.email.change(newEmail);
    assert.ok(change.id);
    const confirm = await sink.latest(newEmail, /./);
    await c.email.confirmChange({ id: change.id, code: codeOf(confirm) });
    assert.equal((await c.getUser())!.email, newEmail);

    const at = sink.messages.length;
    await c.password.forgot(newEmail);
    await c.password.forgot('nobody-at-all@example.test');
    const reset = await sink.latest(newEmail, /reset/i, at);
    await c.password.reset({ email: newEmail, code: codeOf(reset) }, 'A-reset-passphrase-42');
    assert.equal((await c.signIn({ email: newEmail, password: 'A-reset-passphrase-42' })).status, 'signed_in');
    const policy = await c.password.policy();
    assert.equal(typeof policy.minLength, 'number');
  });

  test('MFA management: email factor with sendMfaCode, TOTP, recovery codes, removal, step-up, passkeys list', async () => {
    const { c } = client();
    const creds = uniqueCredentials('factors');
    await c.signUp(creds);
    await c.email.verify({ email: creds.email, code: codeOf(await sink.latest(creds.email, /verify|confirm/i)) });
    await c.signIn(creds);
    await c.mfa.enableEmail();
    const setup = await c.mfa.setupTotp();
    const { recoveryCodes } = await c.mfa.verifyTotp(await generate({ secret: setup.secret }));
    assert.equal(recoveryCodes.length, 10);
    const factors = await c.mfa.list();
    assert.deepEqual(factors.factors.map((f) => f.type).sort(), ['email', 'totp']);
    assert.equal(factors.recoveryCodesRemaining, 10);
    const fresh = await c.mfa.regenerateRecoveryCodes();
    assert.equal(fresh.recoveryCodes.length, 10);
    assert.notDeepEqual(fresh.recoveryCodes, recoveryCodes);
    assert.deepEqual((await c.passkeys.list()).passkeys, []);
    await c.signOut();

    // Sign-in: the email code is asked for TOTP's sake too; send it, then use it.
    const challenge = await c.signIn(creds);
    assert.equal(challenge.status, 'mfa_required');
    if (challenge.status !== 'mfa_required') return;
    assert.ok(challenge.methods.includes('email'));
    const at = sink.messages.length;
    await c.sendMfaCode({ verificationId: challenge.verificationId, method: 'email' });
    const code = codeOf(await sink.latest(creds.email, /code/i, at));
    const done = await c.verifyMfa({ verificationId: challenge.verificationId, code, method: 'email' });
    assert.equal(done.status, 'signed_in');

    // Step-up with an emailed code, then a recovery code; removal of the TOTP factor.
    const step = await c.sendReauthenticationCode('email');
    const stepCode = codeOf(await sink.latest(creds.email, /code/i, at + 1));
    await c.reauthenticate({ verificationId: step.verificationId, code: stepCode });
    await c.reauthenticate({ method: 'recovery', code: fresh.recoveryCodes[0]! });
    const totp = factors.factors.find((f) => f.type === 'totp')!;
    await c.mfa.remove(totp.id);
    assert.deepEqual((await c.mfa.list()).factors.map((f) => f.type), ['email']);
    const wrong = await c.reauthenticate({ password: 'not-the-password-1' }).catch((e: unknown) => e);
    assert.ok(wrong instanceof TesseraError && wrong.status === 401, String(wrong));
  });

  test('expired password, enrollment required by role, account deletion', async () => {
    const other = await createTestApp({ env: { AUTH_MFA_REQUIRED_FOR_ROLES: 'admin', AUTH_PASSWORD_CHANGE_REQUIRED_DAYS: '30', AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false' } });
    try {
      const url = await other.app.listen({ port: 0, host: '127.0.0.1' });
      // The first account is an admin: it must enroll a factor, with the token only.
      const admin = client({ url });
      const adminCreds = uniqueCredentials('boss');
      await admin.c.signUp(adminCreds);
      const res = await admin.c.signIn(adminCreds);
      assert.equal(res.status, 'mfa_enrollment_required');
      if (res.status !== 'mfa_enrollment_required') return;
      const setup = await admin.c.mfa.setupTotp({ enrollmentToken: res.enrollmentToken });
      const enrolled = await admin.c.mfa.verifyTotp(await generate({ secret: setup.secret }), { enrollmentToken: res.enrollmentToken });
      assert.equal(enrolled.recoveryCodes.length, 10);
      assert.equal(admin.c.getSession()?.user?.email, adminCreds.email, 'the enrollment signed in');
      assert.ok(admin.events.includes('SIGNED_IN'));

      // A password older than 30 days must be replaced before signing in.
      const { c } = client({ url });
      const creds = uniqueCredentials('aged');
      const { user } = await c.signUp(creds);
      await other.deps.db.updateTable('users').set({ password_changed_at: new Date(Date.now() - 60 * 86_400_000) }).where('id', '=', user.id).execute();
      await other.deps.users.changed(user.id);
      const expired = await c.signIn(creds);
      assert.equal(expired.status, 'password_expired');
      if (expired.status !== 'password_expired') return;
      const renewed = await c.password.setExpired(expired.passwordChangeToken, 'A-renewed-passphrase-9');
      assert.equal(renewed.status, 'signed_in');

      await c.deleteUser();
      assert.equal(c.getSession(), null);
      const gone = await c.signIn({ email: creds.email, password: 'A-renewed-passphrase-9' }).catch((e: unknown) => e);
      assert.ok(gone instanceof TesseraError && gone.code === 'invalid_credentials');
    } finally {
      await other.close();
    }
  });
});
