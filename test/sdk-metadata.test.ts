// SDK truth: @tessera/client's signUp sends what the server takes in each mode (email
// optional only with AUTH_EMAIL_REQUIRED=false), and `metadata` is stored at registration,
// returned by /auth/me (getUser) and given to the custom-claims hook, within the free-form
// bounds. @tessera/react's useAuth maps its new members onto the client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { createClient, memoryStorage, TesseraError, type TesseraClient } from '../packages/client/src/index.ts';
import { AuthProvider, useAuth, type AuthState } from '../packages/react/src/index.ts';
import { generateSigningSecret } from '../src/core/crypto/index.ts';
import { bearer, createTestApp, json, uniqueCredentials, type TestApp } from './helpers/app.ts';
import { Receiver } from './helpers/receiver.ts';

const clients: TesseraClient[] = [];
function client(base: string) {
  const c = createClient({ url: base, client: 'native', storage: memoryStorage(), autoRefresh: false });
  clients.push(c);
  return c;
}
after(() => { for (const c of clients) c.dispose(); });

describe('signUp with metadata (addresses required)', () => {
  let t: TestApp;
  let base = '';
  let hook: Receiver;
  const secret = generateSigningSecret();
  before(async () => {
    hook = await new Receiver().start();
    hook.answers = [{ status: 200, body: { claims: { plan: 'from-hook' } } }];
    t = await createTestApp({ env: { AUTH_HOOK_CUSTOM_CLAIMS_URL: `${hook.url}/claims`, AUTH_HOOK_SECRET: secret, AUTH_METADATA_MAX_DEPTH: '3', AUTH_METADATA_MAX_BYTES: '256' } });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => { await t.close(); await hook.stop(); });

  test('metadata is stored, returned by getUser() and /auth/me, and given to the custom-claims hook', async () => {
    const c = client(base);
    const creds = uniqueCredentials('meta');
    const metadata = { plan: 'pro', prefs: { theme: 'dark' } };
    const { user, verification } = await c.signUp({ ...creds, metadata });
    assert.equal(user.email, creds.email);
    assert.ok(verification?.id);
    const row = await t.deps.db.selectFrom('users').select('metadata').where('id', '=', user.id).executeTakeFirstOrThrow();
    assert.deepEqual(row.metadata, metadata);

    const res = await c.signIn({ username: creds.username, password: creds.password });
    assert.equal(res.status, 'signed_in');
    assert.deepEqual((await c.getUser())!.metadata, metadata);
    const calls = hook.requests.filter((r) => r.path === '/claims').map((r) => JSON.parse(r.body) as { user: { id: string; metadata: unknown } });
    assert.deepEqual(calls.at(-1)!.user, { id: user.id, email: creds.email, username: creds.username, role: user.role, metadata });

    // An administrator's later change is what /auth/me shows (the cached row is dropped).
    await t.deps.db.transaction().execute((trx) => t.deps.users.update(trx, user.id, { metadata: { plan: 'team' } }));
    await t.deps.users.changed(user.id);
    const me = await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(c.getSession()!.accessToken) });
    assert.deepEqual(json(me).metadata, { plan: 'team' });
  });

  test('without metadata the user has {}', async () => {
    const c = client(base);
    const creds = uniqueCredentials('plain');
    await c.signUp(creds);
    await c.signIn({ email: creds.email, password: creds.password });
    assert.deepEqual((await c.getUser())!.metadata, {});
  });

  test('metadata past AUTH_METADATA_MAX_DEPTH or _MAX_BYTES, or not an object, is refused with validation_failed', async () => {
    const c = client(base);
    for (const metadata of [{ a: { b: { c: {} } } }, { blob: 'x'.repeat(300) }]) {
      const err = await c.signUp({ ...uniqueCredentials('deep'), metadata }).catch((e: unknown) => e);
      assert.ok(err instanceof TesseraError, String(err));
      assert.deepEqual([err.status, err.code], [400, 'validation_failed']);
    }
    const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload: { ...uniqueCredentials(), metadata: ['not', 'an', 'object'] } });
    assert.equal(json(res).code, 'validation_failed');
  });

  test('without an address: the server requires one by default, and the SDK passes the refusal on', async () => {
    const err = await client(base).signUp({ username: 'no_address', password: 'long-enough-pw-1' }).catch((e: unknown) => e);
    assert.ok(err instanceof TesseraError);
    assert.deepEqual([err.status, err.code], [400, 'validation_failed']);
  });
});

describe('signUp without an address (AUTH_EMAIL_REQUIRED=false)', () => {
  let t: TestApp;
  let base = '';
  before(async () => {
    t = await createTestApp({ env: { AUTH_EMAIL_REQUIRED: 'false' } });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => { await t.close(); });

  test('username and password only: no verification, sign-in by username, email null', async () => {
    const c = client(base);
    const { username, password } = uniqueCredentials('sdk');
    const { user, verification } = await c.signUp({ username, password, metadata: { kiosk: 7 } });
    assert.equal(user.email, null);
    assert.equal(verification, null);
    const res = await c.signIn({ username, password });
    assert.equal(res.status, 'signed_in');
    const me = (await c.getUser())!;
    assert.deepEqual([me.email, me.metadata], [null, { kiosk: 7 }]);
  });
});

describe('@tessera/react useAuth', () => {
  test('the new members are the client\'s own functions, and token follows the session', () => {
    const c = createClient({ url: 'https://auth.example.test', client: 'native', storage: memoryStorage(), autoRefresh: false });
    clients.push(c);
    let seen: AuthState | undefined;
    function Probe() {
      seen = useAuth();
      return null;
    }
    renderToString(createElement(AuthProvider, { client: c }, createElement(Probe)));
    assert.ok(seen);
    assert.equal(seen.enableTotp, c.mfa.setupTotp);
    assert.equal(seen.verifyTotp, c.mfa.verifyTotp);
    assert.equal(seen.enableSmsMfa, c.mfa.enrollSms);
    assert.equal(seen.verifySmsMfa, c.mfa.verifySms);
    assert.equal(seen.refresh, c.refreshSession);
    assert.equal(seen.token, null, 'signed out: no token');
    assert.equal(typeof seen.signInWithProvider, 'function');
    // signInWithProvider goes where client.oauth.url says.
    const went: string[] = [];
    const g = globalThis as unknown as { location?: { assign(u: string): void } };
    const saved = g.location;
    g.location = { assign: (u) => { went.push(u); } };
    try {
      seen.signInWithProvider('github', { redirectTo: 'https://app.example.test/done' });
    } finally {
      if (saved === undefined) delete g.location;
      else g.location = saved;
    }
    assert.deepEqual(went, [c.oauth.url('github', { redirectTo: 'https://app.example.test/done' })]);
  });
});
