// AUTH_EMAIL_REQUIRED=false: accounts with a username and a password and no address.
// Registration, sign-in, tokens and /auth/me; the flows that need an address answer
// `email_required` (signed in) or never find such an account (by address); notices are
// skipped; the admin API, the CLI and imports create such accounts; the default still
// requires an address everywhere.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { bearer, createTestApp, decodeJwtPart, json, login, uniqueCredentials, type TestApp } from './helpers/app.ts';
import { expectCli, tessera, withApp } from './helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

const OPTIONAL = { AUTH_EMAIL_REQUIRED: 'false' };

function usernameOnly(prefix = 'kiosk') {
  const { username, password } = uniqueCredentials(prefix);
  return { username, password };
}

async function registerWithoutEmail(t: TestApp, creds = usernameOnly()) {
  const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload: creds });
  assert.equal(res.statusCode, 201, res.body);
  return { creds, res, body: json(res) };
}

const signIn = (t: TestApp, creds: { username: string; password: string }) =>
  t.app.inject({ method: 'POST', url: '/auth/login', payload: { ...creds, client: 'native' } });

const mailKinds = async (t: TestApp) => (await t.deps.db.selectFrom('mail_outbox').select('kind').execute()).map((r) => r.kind);

describe('accounts without an email address (AUTH_EMAIL_REQUIRED=false)', () => {
  let t: TestApp;
  let adminToken: string;
  before(async () => {
    t = await createTestApp({ env: { ...OPTIONAL, AUTH_EMAIL_VERIFICATION_REQUIRED: 'true', AUTH_ACCOUNT_LOCKOUT_ATTEMPTS: '3' } });
    // The first account ever becomes the administrator (a regular one, with an address).
    const admin = uniqueCredentials('admin');
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/register', payload: admin })).statusCode, 201);
    await t.deps.db.updateTable('users').set({ email_verified: true }).where('email', '=', admin.email).execute();
    adminToken = (await login(t.app, admin, 'native')).accessToken;
  });
  after(async () => { await t.close(); });

  test('register takes a username and a password: no address, nothing to verify, no message', async () => {
    const mailBefore = (await mailKinds(t)).length;
    const { creds, res, body } = await registerWithoutEmail(t);
    assert.equal(body.user.email, null);
    assert.equal(body.user.username, creds.username);
    assert.equal(body.verification, null);
    assert.equal(res.cookies.find((c) => c.name === 'tessera_registrant'), undefined, 'no registrant mark without an address to prove');
    const row = await t.deps.db.selectFrom('users').select(['email', 'email_verified']).where('id', '=', body.user.id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { email: null, email_verified: false });
    assert.equal((await mailKinds(t)).length, mailBefore, 'no message queued');
    // Many accounts may lack an address: the unique index on lower(email) allows many NULLs.
    const second = await registerWithoutEmail(t);
    assert.equal(second.body.user.email, null);
  });

  test('an address is still taken when given, and still verified', async () => {
    const creds = uniqueCredentials();
    const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload: creds });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(json(res).user.email, creds.email);
    assert.ok(json(res).verification?.id, 'a verification message for the address');
    const dup = await t.app.inject({ method: 'POST', url: '/auth/register', payload: { ...usernameOnly(), email: creds.email.toUpperCase() } });
    assert.equal(json(dup).code, 'email_taken');
  });

  test('sign-in by username (verification required applies to addresses only); tokens and /auth/me carry no address', async () => {
    const { creds } = await registerWithoutEmail(t);
    // Two failures first: the success clears the lockout by the username and the account.
    for (let i = 0; i < 2; i++) assert.equal((await signIn(t, { ...creds, password: 'wrong-password-1' })).statusCode, 401);
    const res = await signIn(t, creds);
    assert.equal(res.statusCode, 200, res.body);
    const { accessToken, refreshToken, user } = json(res);
    assert.equal(user.email, null);
    const claims = decodeJwtPart(accessToken, 1);
    assert.equal('email' in claims, false, 'no email claim');
    assert.equal(claims.username, creds.username);
    assert.equal(claims['https://hasura.io/jwt/claims']['x-hasura-user-id'], user.id);
    const me = json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(accessToken) }));
    assert.equal(me.email, null);
    assert.equal(me.emailVerified, false);
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/verify', headers: bearer(accessToken) })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } })).statusCode, 200);
    // Two more failures: with the first two still counted, the third would have locked (3 attempts).
    for (let i = 0; i < 2; i++) assert.equal((await signIn(t, { ...creds, password: 'wrong-password-1' })).statusCode, 401);
    assert.equal((await signIn(t, creds)).statusCode, 200, 'the earlier failures were cleared by the success');
  });

  test('flows that need the address: email factor refused with email_required; by-address flows never match', async () => {
    const { creds } = await registerWithoutEmail(t);
    const { accessToken } = json(await signIn(t, creds));
    const factor = await t.app.inject({ method: 'POST', url: '/auth/mfa/email', headers: bearer(accessToken) });
    assert.equal(factor.statusCode, 400);
    assert.equal(json(factor).code, 'email_required');
    const mailBefore = (await mailKinds(t)).length;
    // Requests naming an address answer the same whether or not an account has it.
    for (const url of ['/auth/password/forgot', '/auth/verify-email/resend']) {
      const res = await t.app.inject({ method: 'POST', url, payload: { email: `${creds.username}@example.test` } });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    }
    await t.deps.settle();
    assert.equal((await mailKinds(t)).length, mailBefore, 'no account had that address: nothing sent');
  });

  test('a password change sends no notice, and the account can add an address later', async () => {
    const { creds } = await registerWithoutEmail(t);
    const { accessToken } = json(await signIn(t, creds));
    const before = (await mailKinds(t)).length;
    const change = await t.app.inject({ method: 'POST', url: '/auth/password/change', headers: bearer(accessToken), payload: { currentPassword: creds.password, newPassword: `${creds.password}-2` } });
    assert.equal(change.statusCode, 200, change.body);
    assert.equal((await mailKinds(t)).length, before, 'no password-changed notice without an address');
    const address = `${creds.username}@example.test`;
    const add = await t.app.inject({ method: 'POST', url: '/auth/email/change', headers: bearer(json(await signIn(t, { ...creds, password: `${creds.password}-2` })).accessToken), payload: { newEmail: address } });
    assert.ok(add.statusCode < 300, add.body);
    assert.deepEqual((await mailKinds(t)).slice(before), ['email_change_confirm'], 'a confirmation to the new address, no notice to a former one');
  });

  test('admin API: a user without an address; a setup email needs one (email_required, nothing created)', async () => {
    const { username, password } = usernameOnly('made');
    const res = await t.app.inject({ method: 'POST', url: '/admin/users', headers: bearer(adminToken), payload: { username, password } });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(json(res).user.email, null);
    assert.equal(json(res).user.emailVerified, false);
    assert.equal((await signIn(t, { username, password })).statusCode, 200);
    const detail = await t.app.inject({ method: 'GET', url: `/admin/users/${json(res).user.id}`, headers: bearer(adminToken) });
    assert.equal(json(detail).user.email, null);

    const setup = await t.app.inject({ method: 'POST', url: '/admin/users', headers: bearer(adminToken), payload: { username: `${username}_b`, sendPasswordSetup: true } });
    assert.equal(setup.statusCode, 400);
    assert.equal(json(setup).code, 'email_required');
    assert.equal(await t.deps.users.findByUsername(`${username}_b`), undefined, 'refused as a whole');

    const reset = await t.app.inject({ method: 'POST', url: `/admin/users/${json(res).user.id}/password-reset`, headers: bearer(adminToken) });
    assert.equal(json(reset).code, 'email_required', reset.body);
    const row = await t.deps.users.findById(json(res).user.id);
    assert.equal(row?.password_reset_required, false, 'the forced reset was rolled back');
  });

  test('admin list: sorted by email with accounts without one, every page reachable by cursor', async () => {
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: Awaited<ReturnType<TestApp["app"]["inject"]>> = await t.app.inject({ method: 'GET', url: `/admin/users?sort=email&limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: bearer(adminToken) });
      assert.equal(res.statusCode, 200, res.body);
      for (const u of json(res).users) {
        assert.equal(seen.has(u.id), false, 'no user twice');
        seen.add(u.id);
      }
      cursor = json(res).nextCursor;
      pages++;
    } while (cursor && pages < 50);
    const total = await t.deps.db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    assert.equal(seen.size, Number(total.n));
  });
});

describe('the default: every account has an address', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp(); });
  after(async () => { await t.close(); });

  test('register, and the admin API, refuse a missing email with validation_failed', async () => {
    assert.equal(t.config.emailRequired, true);
    const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload: usernameOnly() });
    assert.equal(res.statusCode, 400);
    assert.equal(json(res).code, 'validation_failed');
    assert.equal(json(res).details[0].field, 'email');
    const admin = uniqueCredentials('admin');
    await t.app.inject({ method: 'POST', url: '/auth/register', payload: admin });
    const token = (await login(t.app, admin, 'native')).accessToken;
    const created = await t.app.inject({ method: 'POST', url: '/admin/users', headers: bearer(token), payload: usernameOnly() });
    assert.equal(json(created).code, 'validation_failed');
  });
});

describe('CLI and imports without an address', () => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'tessera-username-only-'));
  before(async () => { db = await createTestDatabase(); });
  after(async () => { await db.drop(); rmSync(dir, { recursive: true, force: true }); });

  test('tessera users create without --email, and import records without one, when the setting allows', async () => {
    const refused = await tessera(db, ['users', 'create', '--username', 'kiosk_one', '--password-stdin'], { input: 'kiosk-pass-123\n' });
    assert.notEqual(refused.code, 0, 'refused without the setting');
    assert.match(refused.err, /email/);
    await expectCli(db, ['users', 'create', '--username', 'kiosk_two', '--password-stdin'], 0, { input: 'kiosk-pass-123\n', env: OPTIONAL });
    const lines = [
      { user_id: 'auth0|nomail1', username: 'phone_only', password_hash: bcrypt.hashSync('phone-pass-1', 4) },
      { user_id: 'auth0|withmail', email: 'with@example.com', password_hash: bcrypt.hashSync('with-pass-1', 4) },
    ];
    const path = join(dir, 'auth0.jsonl');
    writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n'));
    // By default a record without an address is rejected (exit 4: some records were not imported).
    const strict = JSON.parse((await expectCli(db, ['import', 'auth0', path, '--json', '--dry-run'], 4)).out) as { rejected: { reason: string }[]; created: number };
    assert.deepEqual(strict.rejected.map((r) => r.reason), ['no_email']);
    const loose = JSON.parse((await expectCli(db, ['import', 'auth0', path, '--json'], 0, { env: OPTIONAL })).out) as { created: number; rejected: unknown[] };
    assert.deepEqual([loose.created, loose.rejected.length], [2, 0]);
    const again = JSON.parse((await expectCli(db, ['import', 'auth0', path, '--json'], 0, { env: OPTIONAL })).out) as { created: number; skipped: number };
    assert.deepEqual([again.created, again.skipped], [0, 2], 'a second run skips both, the one without an address by its source id');

    await withApp(db, async (t) => {
      const rows = await t.deps.db.selectFrom('users').select(['username', 'email']).orderBy('username').execute();
      assert.deepEqual(rows.filter((r) => r.email === null).map((r) => r.username), ['kiosk_two', 'phone_only']);
      assert.equal(rows.filter((r) => r.email === 'with@example.com').length, 1);
      assert.equal(await t.deps.users.findByUsername('kiosk_one'), undefined, 'refused without the setting');
      const res = await signIn(t, { username: 'phone_only', password: 'phone-pass-1' });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal((await signIn(t, { username: 'kiosk_two', password: 'kiosk-pass-123' })).statusCode, 200);
    }, OPTIONAL);
  });
});
