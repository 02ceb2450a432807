// Passkeys end to end in headless Chromium with a virtual authenticator: register, sign
// out, sign in with and without a username, a passkey as the second factor after a
// password; refused: a wrong origin, a replayed challenge, a foreign credential, a cloned
// authenticator whose counter goes backwards; management and the last way to sign in.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { ManualClock } from '../src/core/clock.ts';
import { bearer, createTestApp, decodeJwtPart, json, login, register, type Credentials, type TestApp } from './helpers/app.ts';
import { browserSkip, createCredential, getAssertion, launch, pageServer, withAuthenticator, type AuthenticatorPage } from './helpers/browser.ts';

const skip = browserSkip();

describe('passkeys in Chromium', { skip }, () => {
  let browser: Browser;
  let site: Awaited<ReturnType<typeof pageServer>>;
  let other: Awaited<ReturnType<typeof pageServer>>;
  let t: TestApp;
  const clock = new ManualClock();
  before(async () => {
    browser = await launch();
    site = await pageServer();
    other = await pageServer();
    t = await createTestApp({ clock, logLevel: 'info', env: { AUTH_WEBAUTHN_RP_ID: 'localhost', AUTH_WEBAUTHN_ORIGINS: site.origin } });
  });
  after(async () => {
    await t?.close();
    await browser?.close();
    await site?.close();
    await other?.close();
  });

  const post = (url: string, payload?: unknown, token?: string) =>
    t.app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }), ...(token ? { headers: bearer(token) } : {}) });

  /** The user's audit entries of one type (test/audit.test.ts covers the other types). */
  const auditOf = async (userId: string, type: string) => (await t.deps.db.selectFrom('audit_log').select(['success', 'details']).where('subject_user_id', '=', userId).where('type', '=', type).execute());

  /** A user with a password and one passkey in `a`'s authenticator. */
  async function enrolled(a: AuthenticatorPage): Promise<{ creds: Credentials; accessToken: string; passkeyId: string }> {
    const { creds } = await register(t.app);
    const s = await login(t.app, creds, 'native');
    const options = json(await post('/auth/passkeys/register/options', undefined, s.accessToken));
    assert.equal(options.rp.id, 'localhost');
    assert.equal(options.authenticatorSelection.userVerification, 'preferred');
    const credential = await createCredential(a.page, options);
    const res = await post('/auth/passkeys/register/verify', { response: credential, name: 'Laptop' }, s.accessToken);
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(await auditOf(s.user.id, 'passkey.added'), [{ success: true, details: { passkeyId: json(res).id, name: 'Laptop' } }]);
    return { creds, accessToken: s.accessToken, passkeyId: json(res).id };
  }

  test('register, sign out, sign in without typing a username (discoverable) and with one', async () => {
    const a = await withAuthenticator(browser, site.origin);
    try {
      const { creds, accessToken, passkeyId } = await enrolled(a);
      const listed = json(await t.app.inject({ method: 'GET', url: '/auth/passkeys', headers: bearer(accessToken) }));
      assert.deepEqual(listed.passkeys.map((p: { id: string; name: string }) => [p.id, p.name]), [[passkeyId, 'Laptop']]);
      assert.equal((await post('/auth/logout', undefined, accessToken)).statusCode, 200);

      const options = json(await post('/auth/passkeys/login/options'));
      assert.deepEqual(options.allowCredentials ?? [], [], 'discoverable: no credential list');
      const assertion = await getAssertion(a.page, options);
      const res = await post('/auth/passkeys/login/verify', { response: assertion, client: 'native' });
      assert.equal(res.statusCode, 200, res.body);
      const body = json(res);
      assert.equal(body.user.email, creds.email);
      const claims = decodeJwtPart(body.accessToken, 1);
      assert.deepEqual(claims.amr, ['hwk', 'user']);
      assert.equal(claims.aal, 'aal2', 'a passkey with user verification is multi-factor');

      const named = json(await post('/auth/passkeys/login/options', { email: creds.email }));
      assert.deepEqual(named.allowCredentials.map((c: { id: string }) => c.id), [passkeyId]);
      const ghost = json(await post('/auth/passkeys/login/options', { email: `ghost.${creds.email}` }));
      assert.equal(ghost.allowCredentials.length, 1, 'an unknown account gets a decoy list of the same shape');
      assert.deepEqual(json(await post('/auth/passkeys/login/options', { email: `ghost.${creds.email}` })).allowCredentials, ghost.allowCredentials, 'the decoy is stable');
      const second = await post('/auth/passkeys/login/verify', { response: await getAssertion(a.page, named), client: 'native' });
      assert.equal(second.statusCode, 200, second.body);
    } finally {
      await a.context.close();
    }
  });

  test('a passkey as the second factor after a password', async () => {
    const a = await withAuthenticator(browser, site.origin);
    try {
      const { creds } = await enrolled(a);
      const first = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: creds.password, client: 'native' } });
      assert.equal(first.statusCode, 401);
      assert.deepEqual(json(first).methods, ['passkey']);
      const options = json(await post('/auth/passkeys/login/options', { verification_id: json(first).verification_id }));
      assert.equal(options.allowCredentials.length, 1);
      const res = await post('/auth/passkeys/login/verify', { response: await getAssertion(a.page, options) });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(decodeJwtPart(json(res).accessToken, 1).amr, ['pwd', 'hwk']);
      assert.ok(json(res).refreshToken, 'the client of the first step (native) decides the answer');
      assert.equal(res.cookies.length, 0);
    } finally {
      await a.context.close();
    }
  });

  test('refused: a replayed challenge, a wrong origin, a foreign credential', async () => {
    const a = await withAuthenticator(browser, site.origin);
    const elsewhere = await withAuthenticator(browser, other.origin);
    try {
      await enrolled(a);
      const options = json(await post('/auth/passkeys/login/options'));
      const assertion = await getAssertion(a.page, options);
      assert.equal((await post('/auth/passkeys/login/verify', { response: assertion })).statusCode, 200);
      const replay = await post('/auth/passkeys/login/verify', { response: assertion });
      assert.equal(replay.statusCode, 400);
      assert.equal(json(replay).code, 'passkey_challenge_invalid');

      // The same kind of ceremony run from an origin that is not allowed.
      const { creds: c2 } = await register(t.app);
      const s2 = await login(t.app, c2, 'native');
      const regOptions = json(await post('/auth/passkeys/register/options', undefined, s2.accessToken));
      const wrongOrigin = await post('/auth/passkeys/register/verify', { response: await createCredential(elsewhere.page, regOptions) }, s2.accessToken);
      assert.equal(wrongOrigin.statusCode, 401);
      assert.equal(json(wrongOrigin).code, 'passkey_invalid');
      assert.equal(json(await t.app.inject({ method: 'GET', url: '/auth/passkeys', headers: bearer(s2.accessToken) })).passkeys.length, 0);

      // A credential this server never registered (made for another relying party instance).
      const foreignOptions = { ...regOptions, challenge: Buffer.from('not-a-tessera-challenge-0123456789').toString('base64url') };
      await createCredential(elsewhere.page, foreignOptions);
      const loginOpts = json(await post('/auth/passkeys/login/options'));
      const foreign = await post('/auth/passkeys/login/verify', { response: await getAssertion(elsewhere.page, loginOpts) });
      assert.equal(foreign.statusCode, 401);
      assert.equal(json(foreign).code, 'passkey_invalid');
    } finally {
      await a.context.close();
      await elsewhere.context.close();
    }
  });

  test('a cloned authenticator (its counter going backwards) is refused and logged', async () => {
    const a = await withAuthenticator(browser, site.origin);
    const clone = await withAuthenticator(browser, site.origin);
    try {
      const { passkeyId } = await enrolled(a);
      for (let i = 0; i < 2; i++) {
        const r = await post('/auth/passkeys/login/verify', { response: await getAssertion(a.page, json(await post('/auth/passkeys/login/options'))) });
        assert.equal(r.statusCode, 200, r.body);
      }
      const { credentials } = await a.cdp.send('WebAuthn.getCredentials', { authenticatorId: a.authenticatorId });
      const original = credentials.find((c) => Buffer.from(c.credentialId, 'base64').toString('base64url') === passkeyId)!;
      assert.ok(original.signCount >= 2, `the authenticator counts (${original.signCount})`);
      await clone.cdp.send('WebAuthn.addCredential', { authenticatorId: clone.authenticatorId, credential: { ...original, signCount: 0 } });
      const res = await post('/auth/passkeys/login/verify', { response: await getAssertion(clone.page, json(await post('/auth/passkeys/login/options'))) });
      assert.equal(res.statusCode, 401);
      assert.equal(json(res).code, 'passkey_invalid');
      assert.ok(t.logs.some((l) => l.includes('passkey_clone_suspected') && l.includes(passkeyId)), 'logged for the audit trail');
      const owner = (await t.deps.db.selectFrom('passkeys').select('user_id').where('id', '=', passkeyId).executeTakeFirstOrThrow()).user_id;
      const suspected = await auditOf(owner, 'passkey.clone_suspected');
      assert.equal(suspected.length, 1);
      assert.equal(suspected[0]!.success, false);
      assert.equal((await auditOf(owner, 'user.login_failed')).length, 0, 'one entry for the event: the suspected clone');
    } finally {
      await a.context.close();
      await clone.context.close();
    }
  });

  test('rename; removal needs a recent sign-in and never takes the last way to sign in', async () => {
    const a = await withAuthenticator(browser, site.origin);
    try {
      const { creds, accessToken, passkeyId } = await enrolled(a);
      const renamed = await t.app.inject({ method: 'PATCH', url: `/auth/passkeys/${encodeURIComponent(passkeyId)}`, headers: bearer(accessToken), payload: { name: 'Work laptop' } });
      assert.equal(json(renamed).name, 'Work laptop');
      const user = await t.deps.users.findByEmail(creds.email);
      await t.deps.db.updateTable('users').set({ password_hash: null }).where('id', '=', user!.id).execute();
      const last = await t.app.inject({ method: 'DELETE', url: `/auth/passkeys/${encodeURIComponent(passkeyId)}`, headers: bearer(accessToken) });
      assert.equal(last.statusCode, 409);
      assert.equal(json(last).code, 'last_sign_in_method');
      await t.deps.db.updateTable('users').set({ password_hash: user!.password_hash }).where('id', '=', user!.id).execute();
      clock.advance(6 * 60_000);
      const stale = await t.app.inject({ method: 'DELETE', url: `/auth/passkeys/${encodeURIComponent(passkeyId)}`, headers: bearer(accessToken) });
      assert.equal(json(stale).code, 'reauthentication_required');
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/reauthenticate', headers: bearer(accessToken), payload: { password: creds.password } })).statusCode, 200);
      const ok = await t.app.inject({ method: 'DELETE', url: `/auth/passkeys/${encodeURIComponent(passkeyId)}`, headers: bearer(accessToken) });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.deepEqual((await auditOf(user!.id, 'passkey.removed')).length, 1);
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: creds.password } })).statusCode, 200, 'no factor left: the password alone again');
    } finally {
      await a.context.close();
    }
  });
});
