// @tessera/client against the real server over HTTP (native mode: the refresh token in
// the client's storage): sign-up and sign-in, MFA as a typed result, the user, the
// refreshing fetch and its single flight, sessions and revocation, email codes,
// password change, sign-out, and the errors as TesseraError with the server's code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { createClient, memoryStorage, TesseraError, type AuthEvent, type TesseraClient } from '../packages/client/src/index.ts';
import { createTestApp, uniqueCredentials, type TestApp } from './helpers/app.ts';
import { codeOf, SmtpSink } from './helpers/smtp.ts';

let t: TestApp;
let base = '';
let sink: SmtpSink;
const clients: TesseraClient[] = [];
/** Every request the clients send, as `METHOD /path`. */
const wire: string[] = [];

function client(opts: { refreshMargin?: number } = {}) {
  const storage = memoryStorage();
  const c = createClient({
    url: base, client: 'native', storage, autoRefresh: false, ...opts,
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
  t = await createTestApp({ env: { ...sink.env(), AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false', AUTH_REFRESH_TOKEN_REUSE_INTERVAL: '0' } });
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
    await c.emailCode.send(creds.email);
    const code = codeOf(await sink.latest(creds.email, /code/i));
    const res = await c.emailCode.verify(creds.email, code);
    assert.equal(res.status, 'signed_in');
    await c.password.change(creds.password, 'An-entirely-new-passphrase-7');
    await c.signOut();
    assert.equal((await c.signIn({ email: creds.email, password: 'An-entirely-new-passphrase-7' })).status, 'signed_in');
    assert.equal(c.oauth.url('google', { redirectTo: 'https://app.example.com/after' }), `${base}/auth/oauth/google?redirectTo=https%3A%2F%2Fapp.example.com%2Fafter`);
    assert.equal(c.oauth.url('github', { link: true }), `${base}/auth/oauth/github?link=true`);
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
});
