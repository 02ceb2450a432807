// Social sign-in, linking and the provider-token vault's records, against a real OpenID
// Provider in process: `link_to` in the start URL is refused (never read as a sign-in);
// linking is for the signed-in user (link=true and a bearer token); the refresh worker's
// last run is recorded in the database for `tessera oauth refresh status` (the real CLI,
// another process); refreshes, failed refreshes and the revocation of an unlinked
// identity's tokens are audited.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../src/core/clock.ts';
import { Agent } from './helpers/agent.ts';
import { bearer, createTestApp, json, login, register, uniqueCredentials, type TestApp } from './helpers/app.ts';
import { expectCli } from './helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { startOP, type TestOP } from './helpers/op.ts';

const APP = 'http://app.test';
const clock = new ManualClock(Date.now());
let op: TestOP;
let t: TestApp;
let db: TestDatabase;
let base = '';

const audits = async (type: string) => t.deps.db.selectFrom('audit_log').select(['subject_user_id', 'success', 'reason', 'details', 'actor_type']).where('type', '=', type).orderBy('occurred_at').execute();

/** A Google sign-up through the provider's forms; the identity's row and the user's access token. */
async function googleUser(loginName: string) {
  op.accounts.set(loginName, { email: `${loginName}@gmail.example`, email_verified: true });
  const agent = new Agent();
  const final = new URL(await agent.follow(`${base}/auth/oauth/google`, (u) => u.startsWith(APP), { login: loginName }));
  assert.equal(final.searchParams.get('error'), null, final.toString());
  const res = await agent.request(`${base}/auth/refresh`, { method: 'POST', headers: { origin: base, accept: 'application/json' } });
  assert.equal(res.status, 200);
  const token = ((await res.json()) as { accessToken: string }).accessToken;
  const row = await t.deps.db.selectFrom('user_identities').selectAll().where('provider', '=', 'google').where('provider_user_id', '=', loginName).executeTakeFirstOrThrow();
  return { token, row };
}

before(async () => {
  const { createServer } = await import('node:http');
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  base = `http://127.0.0.1:${port}`;
  op = await startOP([{ client_id: 'google-client', client_secret: 'google-secret', redirect_uris: [`${base}/auth/oauth/google/callback`] }]);
  db = await createTestDatabase();
  t = await createTestApp({
    clock, database: db,
    env: {
      AUTH_PUBLIC_URL: base, AUTH_CLIENT_URL: APP, AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false',
      AUTH_OAUTH_GOOGLE_CLIENT_ID: 'google-client', AUTH_OAUTH_GOOGLE_CLIENT_SECRET: 'google-secret', AUTH_OAUTH_GOOGLE_ISSUER: op.issuer,
    },
  });
  await t.deps.oauthVault.worker.stop();
  await register(t.app, uniqueCredentials('linkadmin'));
  await new Promise((r) => srv.close(r));
  await t.app.listen({ port, host: '127.0.0.1' });
});

after(async () => {
  await t?.close();
  await op?.close();
  await db?.drop();
});

describe('linking from the start URL', () => {
  test('link_to (or linkTo) is refused with 400 oauth_link_to_unsupported, signed in or not; nothing starts', async () => {
    const { creds } = await register(t.app);
    const { accessToken } = await login(t.app, creds, 'native');
    const states = async () => Number((await t.deps.db.selectFrom('oauth_states').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const before = await states();
    for (const [query, headers] of [
      ['link_to=00000000-0000-4000-8000-000000000000', {}],
      ['link_to=me', bearer(accessToken)],
      ['linkTo=someone&link=true', bearer(accessToken)],
    ] as const) {
      const res = await t.app.inject({ method: 'GET', url: `/auth/oauth/google?${query}`, headers: { ...headers } });
      assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
      assert.equal(json(res).code, 'oauth_link_to_unsupported');
      assert.equal(res.headers.location, undefined, 'no redirect to the provider');
    }
    assert.equal(await states(), before, 'no sign-in was started');
  });

  test('linking is for the signed-in user: link=true needs the bearer token, and then answers the provider URL', async () => {
    const { creds } = await register(t.app);
    const { accessToken } = await login(t.app, creds, 'native');
    const anonymous = await t.app.inject({ method: 'GET', url: '/auth/oauth/google?link=true', headers: { accept: 'application/json' } });
    assert.equal(anonymous.statusCode, 401);
    const ok = await t.app.inject({ method: 'GET', url: '/auth/oauth/google?link=true', headers: { ...bearer(accessToken), accept: 'application/json' } });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.ok(String(json(ok).url).startsWith(`${op.issuer}/`), 'the provider');
    const plain = await t.app.inject({ method: 'GET', url: '/auth/oauth/google' });
    assert.equal(plain.statusCode, 302, 'a plain start still signs in');
  });
});

describe('the refresh worker and the vault, recorded and audited', () => {
  test('a run records its figures and errors; refreshes and failures are audited; the CLI shows the last run', async () => {
    const { row } = await googleUser('linking-refresh');
    await t.deps.db.updateTable('user_identities').set({ refresh_due_at: null }).where('id', '!=', row.id).execute();
    assert.equal((await t.deps.oauthVault.status()).lastRun, null, 'no run with work yet');
    assert.equal(await t.deps.oauthVault.runOnce(), 0);
    assert.equal((await t.deps.oauthVault.status()).lastRun, null, 'an idle pass records nothing');

    clock.set(row.refresh_due_at!.getTime() + 1000);
    assert.equal(await t.deps.oauthVault.runOnce(), 1);
    let status = await t.deps.oauthVault.status();
    assert.deepEqual([status.lastRun?.refreshed, status.lastRun?.failed, status.lastRun?.errors], [1, 0, []]);
    const refreshed = await audits('oauth.token_refreshed');
    assert.equal(refreshed.length, 1);
    assert.deepEqual([refreshed[0]!.subject_user_id, refreshed[0]!.actor_type, (refreshed[0]!.details as Record<string, unknown>).by], [row.user_id, 'system', 'worker']);
    assert.doesNotMatch(JSON.stringify(refreshed[0]!.details), /eyJ|v1\./, 'no token in the entry');

    op.failRefresh = true;
    try {
      const after = await t.deps.db.selectFrom('user_identities').select('refresh_due_at').where('id', '=', row.id).executeTakeFirstOrThrow();
      clock.set(after.refresh_due_at!.getTime() + 1000);
      assert.equal(await t.deps.oauthVault.runOnce(), 1);
    } finally {
      op.failRefresh = false;
    }
    status = await t.deps.oauthVault.status();
    assert.deepEqual([status.lastRun?.refreshed, status.lastRun?.failed], [0, 1]);
    assert.equal(status.lastRun?.errors[0]?.identityId, row.id);
    assert.match(status.lastRun?.errors[0]?.error ?? '', /temporarily_unavailable|503/);
    const failed = await audits('oauth.token_refresh_failed');
    assert.deepEqual(failed.map((f) => [f.success, f.reason]), [[false, 'will_retry']]);

    // Another process (the CLI) reads the same record: PGlite allows one process, so the app closes first.
    await t.app.close();
    await t.deps.close();
    const out = (await expectCli(db, ['oauth', 'refresh', 'status'])).out;
    assert.match(out, /last run: \S+: 0 refreshed, 1 failed/);
    assert.match(out, new RegExp(`error: google identity ${row.id}: .*(temporarily_unavailable|503)`));
    const asJson = JSON.parse((await expectCli(db, ['oauth', 'refresh', 'status', '--json'])).out) as { lastRun: { refreshed: number; failed: number } };
    assert.deepEqual([asJson.lastRun.refreshed, asJson.lastRun.failed], [0, 1]);
    // The app again, for the tests that follow.
    const port = Number(new URL(base).port);
    t = await createTestApp({ clock, database: db, env: { AUTH_PUBLIC_URL: base, AUTH_CLIENT_URL: APP, AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false', AUTH_OAUTH_GOOGLE_CLIENT_ID: 'google-client', AUTH_OAUTH_GOOGLE_CLIENT_SECRET: 'google-secret', AUTH_OAUTH_GOOGLE_ISSUER: op.issuer } });
    await t.deps.oauthVault.worker.stop();
    await t.app.listen({ port, host: '127.0.0.1' });
  });

  test("unlinking revokes the identity's tokens at the provider and audits it", async () => {
    const { token, row } = await googleUser('linking-unlink');
    // A password, so that the provider is not the last way in.
    const pw = 'linking-unlink-pass-1';
    await t.deps.db.updateTable('users').set({ password_hash: await t.deps.passwords.hash(pw) }).where('id', '=', row.user_id).execute();
    await t.deps.users.changed(row.user_id);
    const provider = json(await t.app.inject({ method: 'GET', url: '/auth/identities/google/token', headers: bearer(token) }));
    assert.equal((await fetch(`${op.issuer}/me`, { headers: { authorization: `Bearer ${provider.accessToken}` } })).status, 200, 'the provider token works before');
    const res = await t.app.inject({ method: 'DELETE', url: '/auth/identities/google', headers: bearer(token) });
    assert.equal(res.statusCode, 200, res.body);
    const revoked = (await audits('oauth.provider_tokens_revoked')).filter((e) => e.subject_user_id === row.user_id);
    assert.equal(revoked.length, 1);
    assert.deepEqual(revoked[0]!.details, { provider: 'google', identityId: row.id, atProvider: 'revoked' });
    // The refresh token was revoked at the provider, and with it the grant's access token.
    assert.equal((await fetch(`${op.issuer}/me`, { headers: { authorization: `Bearer ${provider.accessToken}` } })).status, 401, 'the provider no longer honours it');
  });
});
