// `tessera import` from each source's export format, made here with real hashes (bcrypt
// through bcryptjs, argon2 through @node-rs/argon2, Firebase's modified scrypt computed
// with node:crypto from a random project key): users sign in with their old passwords and
// are rehashed; a second run changes nothing; a malformed file writes nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes, randomUUID, scryptSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { hash as argon2 } from '@node-rs/argon2';
import { json, login } from './helpers/app.ts';
import { expectCli, withApp } from './helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

const dir = mkdtempSync(join(tmpdir(), 'tessera-import-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** Firebase's scrypt as Firebase's own tool computes it (independent of the server's code). */
function firebaseHash(password: string, salt: Buffer, key: Buffer, sep: Buffer): string {
  const derived = scryptSync(password, Buffer.concat([salt, sep]), 32, { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  const c = createCipheriv('aes-256-ctr', derived, Buffer.alloc(16));
  return Buffer.concat([c.update(key), c.final()]).toString('base64');
}

async function users(db: TestDatabase) {
  return withApp(db, async (t) => t.deps.db.selectFrom('users').select(['id', 'email', 'username', 'password_hash', 'is_active', 'email_verified', 'metadata']).orderBy('email').execute());
}

interface Summary { total: number; created: number; skipped: number; identities: number; conflicts: { reason: string; email: string }[]; rejected: { reason: string; position: number }[] }
const summary = (out: string) => JSON.parse(out) as Summary;

after(() => rmSync(dir, { recursive: true, force: true }));

describe('tessera import supabase', () => {
  let db: TestDatabase;
  before(async () => { db = await createTestDatabase(); });
  after(async () => { await db.drop(); });

  test('CSV and JSON exports of auth.users: bcrypt passwords work, ids and identities are kept, re-runs skip', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const identity = JSON.stringify([{ provider: 'github', provider_id: '583231', identity_data: { sub: '583231', email: 'octo@example.com' } }, { provider: 'email', provider_id: ids[1] }]);
    const csv = [
      'id,email,encrypted_password,email_confirmed_at,created_at,last_sign_in_at,raw_app_meta_data,raw_user_meta_data,banned_until,deleted_at,identities',
      `${ids[0]},Sam@Example.com,${bcrypt.hashSync('sam-old-password', 4)},2024-01-02 10:00:00+00,2024-01-01 09:00:00+00,,"{""provider"":""email"",""plan"":""pro""}","{""full_name"":""Sam""}",,,`,
      `${ids[1]},octo@example.com,,2024-01-02 10:00:00+00,2024-01-01 09:00:00+00,,{},{},,,"${identity.replace(/"/g, '""')}"`,
      `${ids[2]},gone@example.com,${bcrypt.hashSync('x', 4)},,2024-01-01 09:00:00+00,,{},{},,2024-06-01 00:00:00+00,`,
    ].join('\n');
    const csvPath = file('supabase.csv', csv);
    const first = await expectCli(db, ['import', 'supabase', csvPath, '--json'], 4);
    const s1 = summary(first.out);
    assert.deepEqual([s1.total, s1.created, s1.skipped, s1.identities], [3, 2, 0, 1]);
    assert.deepEqual(s1.rejected.map((r) => [r.position, r.reason]), [[3, 'deleted']]);
    assert.match(first.err, /import supabase: 3\/3 100%/, 'plain progress lines when not a terminal');

    const rows = await users(db);
    const sam = rows.find((r) => r.email === 'sam@example.com')!;
    assert.equal(sam.id, ids[0], 'the Supabase id is kept');
    assert.equal(sam.username, 'Sam');
    assert.equal(sam.email_verified, true);
    assert.deepEqual(sam.metadata, { ...sam.metadata, app: { plan: 'pro' }, profile: { full_name: 'Sam' } });
    assert.match(sam.password_hash!, /^\$2[ab]\$04\$/);

    await withApp(db, async (t) => {
      await login(t.app, { email: 'sam@example.com', password: 'sam-old-password' });
      const after2 = await t.deps.db.selectFrom('users').select('password_hash').where('id', '=', ids[0]!).executeTakeFirstOrThrow();
      assert.match(after2.password_hash!, /^\$argon2id\$/, 'rehashed at the first sign-in');
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'sam@example.com', password: 'wrong' } })).statusCode, 401);
      const ident = await t.deps.db.selectFrom('user_identities').select(['provider', 'provider_user_id', 'user_id']).execute();
      assert.deepEqual(ident.map((i) => [i.provider, i.provider_user_id, i.user_id]), [['github', '583231', ids[1]]]);
      // The first sign-up after an import is not the first user (no admin by accident).
      const reg = await t.app.inject({ method: 'POST', url: '/auth/register', payload: { email: 'late@example.com', username: 'late', password: 'Tardy-Arrival-Passw0rd!' } });
      assert.equal(reg.statusCode, 201, reg.body);
      assert.notEqual(json(reg).user.role, 'admin');
    });

    // Re-running the same file changes nothing.
    const again = summary((await expectCli(db, ['import', 'supabase', csvPath, '--json'], 4)).out);
    assert.deepEqual([again.created, again.skipped, again.identities], [0, 2, 0]);
    assert.equal((await users(db)).length, 3);

    // JSON form, with a conflict: an email that belongs to another account.
    const jsonPath = file('supabase.json', JSON.stringify([
      { id: randomUUID(), email: 'late@example.com', encrypted_password: bcrypt.hashSync('p', 4), email_confirmed_at: null, created_at: '2024-01-01T00:00:00Z' },
      { id: randomUUID(), email: 'new@example.com', encrypted_password: bcrypt.hashSync('new-password-1', 4), email_confirmed_at: null, created_at: '2024-01-01T00:00:00Z', banned_until: '2999-01-01T00:00:00Z' },
      { id: randomUUID(), email: 'md5@example.com', encrypted_password: 'md5$abcdef' },
    ]));
    const text = await expectCli(db, ['import', 'supabase', jsonPath, '--report', join(dir, 'report.json')], 4);
    assert.match(text.out, /created\s+1/);
    assert.match(text.out, /record 1 \(.*late@example\.com\): conflict email_taken/);
    assert.match(text.out, /record 3 .*rejected unsupported_password_hash/);
    assert.deepEqual(summary(readFileSync(join(dir, 'report.json'), 'utf8')).conflicts.map((c) => c.email), ['late@example.com']);
    const banned = (await users(db)).find((r) => r.email === 'new@example.com')!;
    assert.equal(banned.is_active, false, 'banned until the future: disabled');
  });
});

describe('tessera import firebase', () => {
  let db: TestDatabase;
  before(async () => { db = await createTestDatabase(); });
  after(async () => { await db.drop(); });

  test('auth:export JSON with Firebase scrypt hashes: users sign in with their passwords and are rehashed', async () => {
    const key = randomBytes(64);
    const sep = Buffer.from('Bw==', 'base64');
    const user = (n: number, extra: Record<string, unknown> = {}) => {
      const salt = randomBytes(12);
      return {
        localId: `fb${n}${randomBytes(8).toString('hex')}`, email: `fire${n}@example.com`, emailVerified: n % 2 === 0,
        passwordHash: firebaseHash(`fire-password-${n}`, salt, key, sep), salt: salt.toString('base64'), displayName: `Fire ${n}`,
        createdAt: String(Date.parse('2023-05-01T00:00:00Z') + n), lastSignedInAt: String(Date.parse('2024-05-01T00:00:00Z')),
        providerUserInfo: [{ providerId: 'password', rawId: `fire${n}@example.com` }], ...extra,
      };
    };
    const exported = {
      users: [
        user(1),
        user(2, { providerUserInfo: [{ providerId: 'google.com', rawId: '1098765', email: 'fire2@gmail.com', displayName: 'Fire Two' }], customAttributes: '{"tier":"gold"}' }),
        user(3, { disabled: true }),
        { localId: 'phoneonly', phoneNumber: '+15550001111', providerUserInfo: [{ providerId: 'phone', rawId: '+15550001111' }] },
      ],
    };
    const path = file('firebase.json', JSON.stringify(exported));
    const flags = ['--hash-key', key.toString('base64'), '--salt-separator', 'Bw==', '--rounds', '8', '--mem-cost', '14'];

    // The hash parameters are required when the export has passwords; a dry run writes nothing.
    assert.match((await expectCli(db, ['import', 'firebase', path], 2)).err, /give --hash-key/);
    assert.match((await expectCli(db, ['import', 'firebase', path, '--hash-key', 'not base64!'], 2)).err, /--hash-key: expected base64/);
    const dry = summary((await expectCli(db, ['import', 'firebase', path, ...flags, '--dry-run', '--json'], 4)).out);
    assert.equal(dry.created, 3);
    assert.equal((await users(db)).length, 0);

    const s = summary((await expectCli(db, ['import', 'firebase', path, ...flags, '--json'], 4)).out);
    assert.deepEqual([s.created, s.identities], [3, 1]);
    assert.deepEqual(s.rejected.map((r) => r.reason), ['no_email']);
    const rows = await users(db);
    assert.ok(rows.every((r) => r.password_hash!.startsWith('$firebase-scrypt$')));
    assert.ok(rows.every((r) => !r.password_hash!.includes(key.toString('base64'))), 'the signer key is not stored with users');
    assert.equal(rows.find((r) => r.email === 'fire3@example.com')!.is_active, false);
    assert.deepEqual((rows.find((r) => r.email === 'fire2@example.com')!.metadata as { app: unknown }).app, { tier: 'gold' });

    await withApp(db, async (t) => {
      const params = await t.deps.db.selectFrom('password_hash_params').selectAll().execute();
      assert.equal(params.length, 1);
      assert.ok(!params[0]!.secret_encrypted!.includes(key.toString('base64')), 'the signer key is sealed');
      for (const n of [1, 2]) {
        assert.equal((await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: `fire${n}@example.com`, password: `fire-password-${n + 1}` } })).statusCode, 401);
        await login(t.app, { email: `fire${n}@example.com`, password: `fire-password-${n}` });
      }
      const after2 = await t.deps.db.selectFrom('users').select(['email', 'password_hash']).where('email', 'in', ['fire1@example.com', 'fire2@example.com']).execute();
      assert.ok(after2.every((r) => r.password_hash!.startsWith('$argon2id$')), 'rehashed with argon2id');
      assert.equal(json(await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'fire3@example.com', password: 'fire-password-3' } })).code, 'account_disabled');
    });

    const again = summary((await expectCli(db, ['import', 'firebase', path, ...flags, '--json'], 4)).out);
    assert.deepEqual([again.created, again.skipped], [0, 3]);
  });
});

describe('tessera import auth0 (JSON lines)', () => {
  let db: TestDatabase;
  before(async () => { db = await createTestDatabase(); });
  after(async () => { await db.drop(); });

  test('bcrypt and argon2 hashes, usernames and identities; a malformed line imports nothing', async () => {
    const lines = [
      { user_id: 'auth0|5f1', email: 'jo@example.com', email_verified: true, username: 'jo_auth0', name: 'Jo', password_hash: bcrypt.hashSync('jo-password-1', 4), app_metadata: { org: 'acme' } },
      { _id: { $oid: '60a1' }, email: 'kim@example.com', custom_password_hash: { algorithm: 'argon2', hash: { value: await argon2('kim-password-1', { memoryCost: 2048, timeCost: 2 }) } } },
      { user_id: 'google-oauth2|777', email: 'lee@example.com', email_verified: true, identities: [{ provider: 'google-oauth2', user_id: '777', connection: 'google-oauth2', isSocial: true }] },
      { user_id: 'auth0|dup', email: 'JO@example.com', password_hash: bcrypt.hashSync('x', 4) },
    ];
    const good = file('auth0.jsonl', lines.map((l) => JSON.stringify(l)).join('\n'));

    // A malformed line stops the import before anything is written.
    const bad = file('bad.jsonl', `${JSON.stringify(lines[0])}\n${JSON.stringify(lines[1])}\n{"user_id": "auth0|x", "email": \n`);
    const refused = await expectCli(db, ['import', 'auth0', bad], 6);
    assert.match(refused.err, /malformed input, nothing imported: line 3 is not valid JSON/);
    assert.equal((await users(db)).length, 0);
    assert.match((await expectCli(db, ['import', 'firebase', bad], 6)).err, /not valid JSON/);
    assert.match((await expectCli(db, ['import', 'supabase', file('x.csv', 'id,email\n1,"unterminated\n')], 6)).err, /not valid CSV/);
    assert.match((await expectCli(db, ['import', 'supabase', file('y.csv', 'name,phone\nx,1\n')], 6)).err, /must name at least the columns id and email/);
    assert.match((await expectCli(db, ['import', 'auth0', join(dir, 'missing.jsonl')], 2)).err, /no such file/);
    assert.equal((await users(db)).length, 0);

    const s = summary((await expectCli(db, ['import', 'jsonl', good, '--json', '--batch-size', '2'], 4)).out);
    assert.deepEqual([s.created, s.identities], [3, 1]);
    assert.deepEqual(s.conflicts.map((c) => c.reason), ['duplicate_email_in_file']);
    const rows = await users(db);
    assert.equal(rows.find((r) => r.email === 'jo@example.com')!.username, 'jo_auth0');
    await withApp(db, async (t) => {
      await login(t.app, { email: 'jo@example.com', password: 'jo-password-1' });
      await login(t.app, { email: 'kim@example.com', password: 'kim-password-1' });
      const lee = rows.find((r) => r.email === 'lee@example.com')!;
      assert.equal(lee.password_hash, null);
      const ident = await t.deps.db.selectFrom('user_identities').select(['provider', 'provider_user_id']).where('user_id', '=', lee.id).execute();
      assert.deepEqual(ident.map((i) => [i.provider, i.provider_user_id]), [['google', '777']]);
      const audit = await t.deps.db.selectFrom('audit_log').select('details').where('type', '=', 'users.imported').execute();
      assert.deepEqual(audit.map((a) => (a.details as { created: number }).created), [3]);
    });
    const again = summary((await expectCli(db, ['import', 'auth0', good, '--json'], 4)).out);
    assert.deepEqual([again.created, again.skipped, again.conflicts.length], [0, 3, 1]);
  });
});
