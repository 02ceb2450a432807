// The `tessera` command, run as a child process on a fresh database for each command
// group; what it changes is checked through the service's HTTP API afterwards (the
// embedded database takes one process at a time, so the app opens once the CLI exits).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, decodeJwtPart, json, login, TEST_ENCRYPTION_KEY } from './helpers/app.ts';
import { expectCli, tessera, withApp } from './helpers/cli.ts';
import { createTestDatabase, testDbMode, type TestDatabase } from './helpers/db.ts';
import { startOP, type TestOP } from './helpers/op.ts';
import { freePort, post, run, waitHealthy, type Proc } from './helpers/process.ts';

const PASSWORD = 'Cli-Tested-Passw0rd!';
const redisUrl = process.env.TESSERA_TEST_REDIS_URL;

async function fresh(): Promise<TestDatabase> {
  return createTestDatabase();
}

async function createUser(db: TestDatabase, name: string, extra: string[] = []): Promise<string> {
  const r = await expectCli(db, ['users', 'create', '--email', `${name}@example.com`, '--username', name, '--password-stdin', '--verified', '--json', ...extra], 0, { input: `${PASSWORD}\n` });
  return (JSON.parse(r.out) as { user: { id: string } }).user.id;
}

describe('tessera: help, usage errors and exit codes', () => {
  let db: TestDatabase;
  before(async () => { db = await fresh(); });
  after(async () => { await db.drop(); });

  test('every command group has --help with examples; bad arguments exit 2 with a clear message', async () => {
    const top = await expectCli(db, ['--help']);
    for (const group of ['serve', 'migrate', 'users', 'roles', 'permissions', 'sessions', 'keys', 'service-accounts', 'audit', 'config', 'oauth', 'import']) {
      assert.match(top.out, new RegExp(`\\n  ${group}\\b`), group);
    }
    assert.match(top.out, /Exit codes: 0 ok/);
    for (const args of [['users', '--help'], ['users', 'create', '--help'], ['roles', '--help'], ['keys', 'rotate', '--help'], ['import', '--help'], ['oauth', '--help'], ['audit', 'tail', '--help'], ['serve', '--help']]) {
      const r = await expectCli(db, args);
      assert.match(r.out, /Examples?:|\$ tessera/, args.join(' '));
    }
    assert.match((await expectCli(db, ['--version'])).out, /^\d+\.\d+\.\d+\n$/);

    const unknown = await expectCli(db, ['frobnicate'], 2);
    assert.match(unknown.err, /unknown command 'frobnicate'/);
    const missing = await expectCli(db, ['users', 'create', '--email', 'x@example.com'], 2);
    assert.match(missing.err, /required option '--username <username>' not specified/);
    assert.match((await expectCli(db, ['users', 'list', '--limit', '0'], 2)).err, /--limit: expected an integer from 1 to 100/);
    assert.match((await expectCli(db, ['users', 'list', '--status', 'sleeping'], 2)).err, /Allowed choices are active, disabled/);
    assert.match((await expectCli(db, ['serve', '--addr', 'nowhere'], 2)).err, /--addr: expected host:port/);
    assert.match((await expectCli(db, ['serve', '--session-ttl', 'forever'], 2)).err, /--session-ttl: expected a duration/);
    assert.match((await expectCli(db, ['users', 'show', 'nobody@example.com'], 3)).err, /no user "nobody@example.com"/);
    assert.match((await expectCli(db, ['sessions', 'revoke', 'not-a-uuid'], 2)).err, /not a session id/);
    assert.match((await expectCli(db, ['audit', 'tail', '--type', 'user.sneezed', '--no-follow'], 2)).err, /unknown type user\.sneezed/);
  });

  test('config check prints the effective configuration with secrets masked; an invalid one exits 5', async () => {
    const ok = await expectCli(db, ['config', 'check', '--json'], 0, { env: { AUTH_JWT_SECRET: 'a-very-secret-value-that-is-long-enough-0123', AUTH_ACCESS_TOKEN_EXPIRY: '5m' } });
    const body = JSON.parse(ok.out) as { valid: boolean; config: Record<string, unknown>; warnings: string[] };
    assert.equal(body.valid, true);
    assert.equal(body.config.AUTH_ACCESS_TOKEN_EXPIRY, 300);
    assert.equal(body.config.AUTH_JWT_SECRET, '********');
    assert.equal(body.config.AUTH_ENCRYPTION_KEY, '********');
    assert.ok(!ok.out.includes('a-very-secret-value') && !ok.out.includes(TEST_ENCRYPTION_KEY), 'no secret in the output');
    assert.ok(body.warnings.some((w) => w.includes('AUTH_JWT_SECRET')));
    // A variable Tessera does not know is no longer a warning: it stops the start.
    assert.match((await expectCli(db, ['config', 'check'], 5, { env: { AUTH_REFRESH_TOKEN_EXPIRES: '30d' } })).err, /AUTH_REFRESH_TOKEN_EXPIRES: not a Tessera setting; did you mean AUTH_REFRESH_TOKEN_EXPIRY\?/);
    const text = await expectCli(db, ['config', 'check']);
    assert.match(text.out, /configuration is valid/);
    assert.match(text.out, /AUTH_ENCRYPTION_KEY\s+\*{8}/);

    const bad = await expectCli(db, ['config', 'check'], 5, { env: { AUTH_ACCESS_TOKEN_EXPIRY: 'soon', PORT: '99999' } });
    assert.match(bad.err, /AUTH_ACCESS_TOKEN_EXPIRY: expected a duration/);
    assert.match(bad.err, /PORT:/);
    // Any command refuses to run on an invalid configuration, with the same code.
    assert.equal((await tessera(db, ['users', 'list'], { env: { AUTH_ACCESS_TOKEN_EXPIRY: 'soon' } })).code, 5);
  });
});

describe('tessera config check NAME', () => {
  let db: TestDatabase;
  before(async () => { db = await fresh(); });
  after(async () => { await db.drop(); });

  test('explains a variable: meaning, default, value, aliases; secrets stay masked', async () => {
    const text = (await expectCli(db, ['config', 'check', 'AUTH_REFRESH_TOKEN_EXPIRY'], 0, { env: { AUTH_REFRESH_TOKEN_EXPIRES_IN: '30d' } })).out;
    assert.match(text, /^AUTH_REFRESH_TOKEN_EXPIRY: Absolute lifetime of a session/m);
    assert.match(text, /default:\s+7d/);
    assert.match(text, /value:\s+2592000 \(set as AUTH_REFRESH_TOKEN_EXPIRES_IN\)/);
    assert.match(text, /aliases:.*AUTH_REFRESH_TOKEN_EXPIRES_IN/);
    const secret = JSON.parse((await expectCli(db, ['config', 'check', 'JWT_SECRET', '--json'], 0, { env: { JWT_SECRET: 'a-very-secret-value-that-is-long-enough-0123' } })).out) as Record<string, any>;
    assert.equal(secret.canonical, 'AUTH_JWT_SECRET');
    assert.equal(secret.alias.name, 'JWT_SECRET');
    assert.equal(secret.value, '********');
    assert.equal(secret.setBy, 'JWT_SECRET');
    assert.ok(!JSON.stringify(secret).includes('a-very-secret-value'));
  });

  test('explains an on/off switch, and names the closest known name for an unknown one', async () => {
    const sw = JSON.parse((await expectCli(db, ['config', 'check', 'AUTH_MFA_ENABLED', '--json'], 0, { env: { AUTH_MFA_ENABLED: 'false' } })).out) as Record<string, any>;
    assert.equal(sw.alias.kind, 'switch');
    assert.match(sw.problem, /cannot turn second factors off/);
    const unknown = await expectCli(db, ['config', 'check', 'AUTH_REFRESH_TOKEN_EXPIRES'], 3);
    assert.match(unknown.err, /AUTH_REFRESH_TOKEN_EXPIRES is not a Tessera setting; did you mean AUTH_REFRESH_TOKEN_EXPIRY\?/);
  });
});

describe('tessera serve', () => {
  test('--addr and --session-ttl override the environment', async () => {
    const db = await fresh();
    const port = await freePort();
    const server = run('bin/tessera.js', { ...(await import('./helpers/app.ts')).baseEnv(), ...db.env, PORT: '1', AUTH_REFRESH_TOKEN_EXPIRY: '7d' }, ['serve', '-addr', `127.0.0.1:${port}`, '--session-ttl', '2h']);
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitHealthy(base, server);
      const reg = await post(base, '/auth/register', { email: 'serve@example.com', username: 'serve', password: PASSWORD });
      assert.equal(reg.status, 201);
      const signed = (await (await post(base, '/auth/login', { email: 'serve@example.com', password: PASSWORD, client: 'native' })).json()) as { accessToken: string };
      const sessions = (await (await fetch(`${base}/auth/sessions`, { headers: bearer(signed.accessToken) })).json()) as { sessions: { expiresAt: string }[] };
      const left = new Date(sessions.sessions[0]!.expiresAt).getTime() - Date.now();
      assert.ok(left > 110 * 60_000 && left <= 120 * 60_000, `a 2 h session, not 7 d (${left} ms left)`);
    } finally {
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
      await db.drop();
    }
  });
});

describe('tessera migrate', () => {
  test('status lists pending migrations on an empty database; migrate applies them once', async () => {
    const db = testDbMode() === 'pglite' ? { env: { DATA_DIR: (await import('node:fs')).mkdtempSync(`${(await import('node:os')).tmpdir()}/tessera-cli-empty-`) }, drop: async () => undefined } as TestDatabase : await fresh();
    try {
      if (testDbMode() === 'pglite') {
        const before = JSON.parse((await expectCli(db, ['migrate', 'status', '--json'])).out) as { pending: number; migrations: { status: string }[] };
        assert.ok(before.pending > 0 && before.migrations.every((m) => m.status === 'pending'));
      }
      const first = await expectCli(db, ['migrate']);
      assert.match(first.out, /^(applied: 0001_init.*|database is up to date)\n$/);
      assert.equal((await expectCli(db, ['migrate', 'up'])).out, 'database is up to date\n');
      const after = JSON.parse((await expectCli(db, ['migrate', 'status', '--json'])).out) as { pending: number; migrations: { name: string; status: string }[] };
      assert.equal(after.pending, 0);
      assert.ok(after.migrations.some((m) => m.name === '0011_imports' && m.status === 'applied'));
    } finally {
      await db.drop();
    }
  });
});

describe('tessera users', () => {
  let db: TestDatabase;
  before(async () => { db = await fresh(); });
  after(async () => { await db.drop(); });

  test('create, list, show, set-role, disable, enable, reset-password, revoke-sessions, delete', async () => {
    const adaId = await createUser(db, 'ada', ['--role', 'admin']);
    await createUser(db, 'bob');
    const taken = await expectCli(db, ['users', 'create', '--email', 'ADA@example.com', '--username', 'ada2', '--password', PASSWORD], 4);
    assert.match(taken.err, /email_taken/);
    const weak = await expectCli(db, ['users', 'create', '--email', 'weak@example.com', '--username', 'weak', '--password', 'short'], 2);
    assert.match(weak.err, /password_too_short/);

    const listed = JSON.parse((await expectCli(db, ['users', 'list', '--json', '--sort', 'username'])).out) as { users: { username: string; role: string }[] };
    assert.deepEqual(listed.users.map((u) => `${u.username}:${u.role}`), ['ada:admin', 'bob:viewer']);
    const table = await expectCli(db, ['users', 'list', '--search', 'bo']);
    assert.match(table.out, /^ID\s+USERNAME\s+EMAIL/);
    assert.match(table.out, /bob@example\.com/);
    assert.doesNotMatch(table.out, /ada@example\.com/);
    const page = JSON.parse((await expectCli(db, ['users', 'list', '--json', '--limit', '1'])).out) as { users: unknown[]; nextCursor: string };
    assert.equal(page.users.length, 1);
    const rest = JSON.parse((await expectCli(db, ['users', 'list', '--json', '--limit', '1', '--cursor', page.nextCursor])).out) as { users: unknown[]; nextCursor: string | null };
    assert.equal(rest.users.length, 1);
    assert.equal(rest.nextCursor, null);

    const shown = JSON.parse((await expectCli(db, ['users', 'show', adaId, '--json'])).out) as { user: { email: string }; permissions: string[] };
    assert.equal(shown.user.email, 'ada@example.com');
    assert.ok(shown.permissions.includes('users:write'));
    await expectCli(db, ['users', 'set-role', 'bob', 'moderator']);
    assert.match((await expectCli(db, ['users', 'show', 'bob'])).out, /role\s+moderator/);
    assert.match((await expectCli(db, ['users', 'set-role', 'bob', 'no-such-role'], 3)).err, /role_not_found/);

    // A session of bob's, then disable: the session dies and sign-in is refused.
    const session = await withApp(db, async (t) => login(t.app, { email: 'bob@example.com', password: PASSWORD }, 'native'));
    const sessions = JSON.parse((await expectCli(db, ['sessions', 'list', 'bob', '--json'])).out) as { sessions: { id: string }[] };
    assert.equal(sessions.sessions.length, 1);
    await expectCli(db, ['users', 'disable', 'bob@example.com']);
    await withApp(db, async (t) => {
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(session.accessToken) })).statusCode, 401);
      const refused = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'bob@example.com', password: PASSWORD } });
      assert.equal(json(refused).code, 'account_disabled');
    });
    await expectCli(db, ['users', 'enable', 'bob']);

    // reset-password: a new password, every session ended; the old one no longer works.
    const before2 = await withApp(db, async (t) => login(t.app, { email: 'bob@example.com', password: PASSWORD }, 'native'));
    const NEW = 'Another-Cli-Passw0rd!';
    assert.match((await expectCli(db, ['users', 'reset-password', 'bob', '--password-stdin'], 0, { input: `${NEW}\n` })).out, /password set; 1 session\(s\) ended/);
    assert.match((await expectCli(db, ['users', 'reset-password', 'bob'], 2)).err, /give a new password/);
    await withApp(db, async (t) => {
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(before2.accessToken) })).statusCode, 401);
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'bob@example.com', password: PASSWORD } })).statusCode, 401);
      await login(t.app, { email: 'bob@example.com', password: NEW });
      await login(t.app, { email: 'bob@example.com', password: NEW }, 'native');
    });
    assert.match((await expectCli(db, ['users', 'revoke-sessions', 'bob'])).out, /bob: 2 session\(s\) ended/);
    assert.equal(JSON.parse((await expectCli(db, ['sessions', 'list', 'bob', '--json'])).out).sessions.length, 0);

    // --email: a required reset, the link queued for bob.
    await expectCli(db, ['users', 'reset-password', 'bob', '--email']);
    assert.match((await expectCli(db, ['users', 'show', 'bob'])).out, /passwordResetRequired\s+true/);

    // delete needs --yes when not on a terminal.
    assert.match((await expectCli(db, ['users', 'delete', 'bob'], 2)).err, /add --yes to confirm/);
    await expectCli(db, ['users', 'delete', 'bob', '--yes']);
    await expectCli(db, ['users', 'show', 'bob'], 3);

    // Each change is in the audit log, by the system, with the CLI's user agent.
    await withApp(db, async (t) => {
      const rows = await t.deps.db.selectFrom('audit_log').select(['type', 'actor_type', 'user_agent']).where('actor_type', '=', 'system').execute();
      const types = new Set(rows.map((r) => r.type));
      for (const type of ['user.created', 'user.default_role_changed', 'user.disabled', 'user.enabled', 'password.reset', 'user.sessions_revoked', 'password.reset_forced', 'user.deleted']) assert.ok(types.has(type), type);
      assert.ok(rows.every((r) => r.user_agent?.startsWith('tessera-cli/')));
    });
  });

  test('unlock lifts a sign-in lock kept in Redis', { skip: redisUrl ? false : 'lockouts are shared between processes through Redis (npm test starts redis-server)' }, async () => {
    const env = { REDIS_URL: redisUrl!, AUTH_ACCOUNT_LOCKOUT_ATTEMPTS: '3' };
    const name = `lock${Date.now().toString(36)}`;
    await expectCli(db, ['users', 'create', '--email', `${name}@example.com`, '--username', name, '--password-stdin'], 0, { input: PASSWORD, env });
    await withApp(db, async (t) => {
      for (let i = 0; i < 3; i++) await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: `${name}@example.com`, password: 'wrong-password-x' } });
      const locked = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: `${name}@example.com`, password: PASSWORD } });
      assert.equal(json(locked).code, 'rate_limited');
    }, env);
    await expectCli(db, ['users', 'unlock', name], 0, { env });
    await withApp(db, async (t) => { await login(t.app, { email: `${name}@example.com`, password: PASSWORD }); }, env);
  });
});

describe('tessera roles, permissions and sessions', () => {
  let db: TestDatabase;
  before(async () => { db = await fresh(); });
  after(async () => { await db.drop(); });

  test('create, grant, revoke, assign and delete reach the checks of the API at once', async () => {
    await createUser(db, 'carol');
    await expectCli(db, ['permissions', 'create', 'reports:read', '--description', 'Read reports']);
    await expectCli(db, ['permissions', 'create', 'reports:write']);
    assert.match((await expectCli(db, ['permissions', 'create', 'Bad Name'], 2)).err, /validation_failed/);
    await expectCli(db, ['roles', 'create', 'analyst', '--permissions', 'reports:read', '--includes', 'viewer', '--description', 'Reads reports']);
    assert.match((await expectCli(db, ['roles', 'create', 'analyst'], 4)).err, /role_exists/);
    assert.match((await expectCli(db, ['roles', 'grant', 'analyst', 'reports:write', 'reports:read'])).out, /reports:write granted\n.*reports:read already granted/);
    assert.match((await expectCli(db, ['roles', 'grant', 'analyst', 'nope:nope'], 3)).err, /permission_not_found/);
    await expectCli(db, ['roles', 'assign', 'carol', 'analyst']);

    const can = async (permission: string) => withApp(db, async (t) => {
      const s = await login(t.app, { email: 'carol@example.com', password: PASSWORD }, 'native');
      const r = await t.app.inject({ method: 'POST', url: '/auth/authorize', headers: bearer(s.accessToken), payload: { permission } });
      assert.ok([200, 403].includes(r.statusCode), r.body);
      return r.statusCode === 200;
    });
    assert.equal(await can('reports:write'), true);
    await expectCli(db, ['roles', 'revoke', 'analyst', 'reports:write']);
    assert.equal(await can('reports:write'), false);
    assert.equal(await can('reports:read'), true);

    const roles = JSON.parse((await expectCli(db, ['roles', 'list', '--json'])).out) as { roles: { name: string; permissions: string[]; includes: string[] }[] };
    assert.deepEqual(roles.roles.find((r) => r.name === 'analyst'), { ...roles.roles.find((r) => r.name === 'analyst'), permissions: ['reports:read'], includes: ['viewer'] });
    const perms = JSON.parse((await expectCli(db, ['permissions', 'list', '--json'])).out) as { permissions: { name: string; roles: string[] }[] };
    assert.deepEqual(perms.permissions.find((p) => p.name === 'reports:read')?.roles, ['analyst']);

    await expectCli(db, ['roles', 'unassign', 'carol', 'analyst']);
    assert.equal(await can('reports:read'), false);
    await expectCli(db, ['roles', 'delete', 'analyst', '--yes']);
    await expectCli(db, ['roles', 'show', 'analyst'], 3);
    await expectCli(db, ['permissions', 'delete', 'reports:write', '--yes']);
    assert.match((await expectCli(db, ['permissions', 'delete', 'users:read', '--yes'], 4)).err, /permission_built_in/);
  });

  test('sessions list and revoke one by id', async () => {
    await createUser(db, 'dave');
    const [a, b] = await withApp(db, async (t) => [
      await login(t.app, { email: 'dave@example.com', password: PASSWORD }, 'native'),
      await login(t.app, { email: 'dave@example.com', password: PASSWORD }, 'native'),
    ]);
    const listed = JSON.parse((await expectCli(db, ['sessions', 'list', 'dave@example.com', '--json'])).out) as { sessions: { id: string }[] };
    assert.equal(listed.sessions.length, 2);
    const sidA = decodeJwtPart(a!.accessToken, 1).sid as string;
    await expectCli(db, ['sessions', 'revoke', sidA]);
    await expectCli(db, ['sessions', 'revoke', '00000000-0000-4000-8000-000000000000'], 3);
    await withApp(db, async (t) => {
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(a!.accessToken) })).statusCode, 401);
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(b!.accessToken) })).statusCode, 200);
    });
    assert.match((await expectCli(db, ['sessions', 'revoke', '--user', 'dave'])).out, /1 session\(s\) ended/);
  });
});

describe('tessera service-accounts and audit', () => {
  let db: TestDatabase;
  before(async () => { db = await fresh(); });
  after(async () => { await db.drop(); });

  test('create shows the secret once; rotate-secret replaces it; delete stops the account', async () => {
    const created = JSON.parse((await expectCli(db, ['service-accounts', 'create', 'billing', '--permissions', 'users:read', '--json'])).out) as { serviceAccount: { clientId: string; id: string }; clientSecret: string };
    const grant = (secret: string) => withApp(db, async (t) => (await t.app.inject({ method: 'POST', url: '/auth/token', payload: { grant_type: 'client_credentials', client_id: created.serviceAccount.clientId, client_secret: secret } })).statusCode);
    assert.equal(await grant(created.clientSecret), 200);
    const listed = await expectCli(db, ['service-accounts', 'list']);
    assert.match(listed.out, /billing/);
    assert.ok(!listed.out.includes(created.clientSecret), 'the secret is never listed');
    const rotated = JSON.parse((await expectCli(db, ['service-accounts', 'rotate-secret', created.serviceAccount.clientId, '--json'])).out) as { clientSecret: string };
    assert.notEqual(rotated.clientSecret, created.clientSecret);
    assert.equal(await grant(created.clientSecret), 401);
    assert.equal(await grant(rotated.clientSecret), 200);
    await expectCli(db, ['service-accounts', 'delete', 'billing', '--yes']);
    assert.equal(await grant(rotated.clientSecret), 401);
    await expectCli(db, ['service-accounts', 'delete', 'billing', '--yes'], 3);
  });

  test('audit tail prints the latest entries, filtered; --json gives one object per line', async () => {
    await createUser(db, 'erin');
    await expectCli(db, ['users', 'disable', 'erin']);
    const text = await expectCli(db, ['audit', 'tail', '--no-follow', '-n', '50']);
    assert.match(text.out, /user\.created\s+ok\s+actor=system/);
    assert.match(text.out, /user\.disabled/);
    const lines = (await expectCli(db, ['audit', 'tail', '--no-follow', '--json', '--type', 'user.disabled', '--user', 'erin'])).out.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    assert.deepEqual(lines.map((l) => l.type), ['user.disabled']);
    // Key rotation is recorded with the kids, by the system.
    const rotated = JSON.parse((await expectCli(db, ['keys', 'rotate', '--json'])).out) as { active: { kid: string } };
    const entry = JSON.parse((await expectCli(db, ['audit', 'tail', '--no-follow', '--json', '--type', 'key.rotated'])).out) as { actor: { type: string }; details: { kid: string; retired: string[] } };
    assert.equal(entry.actor.type, 'system');
    assert.equal(entry.details.kid, rotated.active.kid);
    assert.equal(entry.details.retired.length, 1);
  });

  // Following while another process writes needs PostgreSQL (the embedded database takes
  // one process), so this test belongs to the postgres suite.
  if (testDbMode() === 'postgres') test('audit tail follows new entries as they are written', async () => {
    const follower = run('bin/tessera.js', { ...(await import('./helpers/app.ts')).baseEnv(), ...db.env }, ['audit', 'tail', '-n', '0', '--json', '--interval', '200']);
    try {
      await new Promise((r) => setTimeout(r, 2500));
      await createUser(db, `follow${Date.now().toString(36)}`);
      const until = Date.now() + 15_000;
      while (!follower.out().includes('"user.created"') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      assert.match(follower.out(), /"type":"user\.created"/);
    } finally {
      follower.child.kill('SIGINT');
      assert.equal(await follower.exited, 0);
    }
  });
});

describe('tessera keys', () => {
  test('rotate: a new key signs, the old one stays published and accepted; a running server sees it without a restart', async () => {
    const db = await fresh();
    const port = await freePort();
    const base = `http://localhost:${port}`;
    const env = { ...(await import('./helpers/app.ts')).baseEnv(), ...db.env, PORT: String(port), AUTH_LOG_LEVEL: 'warn' };
    const start = async () => {
      const p = run('src/main.ts', env);
      await waitHealthy(base, p);
      return p;
    };
    let server: Proc | undefined;
    try {
      await createUser(db, 'frank');
      server = await start();
      const signIn = async () => (await (await post(base, '/auth/login', { email: 'frank@example.com', password: PASSWORD, client: 'native' })).json()) as { accessToken: string };
      const old = await signIn();
      const oldKid = decodeJwtPart(old.accessToken, 0).kid as string;
      const jwks = async () => ((await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      assert.deepEqual(await jwks(), [oldKid]);

      // The embedded database takes one process: there the server stops for the rotation.
      const embedded = testDbMode() === 'pglite';
      if (embedded) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
      const rotated = JSON.parse((await expectCli(db, ['keys', 'rotate', '--json'], 0, { env: { PORT: String(port) } })).out) as { active: { kid: string }; retired: { kid: string; publishedUntil: string }[] };
      assert.notEqual(rotated.active.kid, oldKid);
      assert.deepEqual(rotated.retired.map((k) => k.kid), [oldKid]);
      // Published until every token the old key signed has expired (15 min of life + 2 min of switching).
      assert.ok(new Date(rotated.retired[0]!.publishedUntil).getTime() - Date.now() > 16 * 60_000);
      if (embedded) server = await start();

      // New tokens carry the new kid (the running server heard of the rotation), both keys are published.
      const until = Date.now() + 10_000;
      let fresh2 = await signIn();
      while (decodeJwtPart(fresh2.accessToken, 0).kid !== rotated.active.kid && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 200));
        fresh2 = await signIn();
      }
      assert.equal(decodeJwtPart(fresh2.accessToken, 0).kid, rotated.active.kid);
      assert.deepEqual((await jwks()).sort(), [oldKid, rotated.active.kid].sort());
      for (const token of [old.accessToken, fresh2.accessToken]) assert.equal((await fetch(`${base}/auth/me`, { headers: bearer(token) })).status, 200);

      if (!embedded) {
        const keys = JSON.parse((await expectCli(db, ['keys', 'list', '--json'])).out) as { keys: { kid: string; status: string }[] };
        assert.deepEqual(keys.keys.map((k) => [k.kid, k.status]), [[rotated.active.kid, 'active'], [oldKid, 'retired']]);
      }
    } catch (err) {
      if (server) process.stderr.write(server.err());
      throw err;
    } finally {
      if (server && server.child.exitCode === null) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
      await db.drop();
    }
  });

  test('with AUTH_JWT_SECRET there is nothing to rotate (exit 4)', async () => {
    const db = await fresh();
    try {
      const r = await expectCli(db, ['keys', 'rotate'], 4, { env: { AUTH_JWT_SECRET: 'an-hs256-secret-that-is-long-enough-012345' } });
      assert.match(r.err, /keys_managed_by_secret/);
    } finally {
      await db.drop();
    }
  });

  // Only the embedded database has an owner process (PostgreSQL takes any number).
  if (testDbMode() === 'pglite') test('keys list on the embedded database refuses while a server holds it (exit 7)', async () => {
    const db = await fresh();
    const port = await freePort();
    const server = run('src/main.ts', { ...(await import('./helpers/app.ts')).baseEnv(), ...db.env, PORT: String(port) });
    try {
      await waitHealthy(`http://localhost:${port}`, server);
      const r = await expectCli(db, ['keys', 'list'], 7);
      assert.match(r.err, /is in use by process \d+.*Stop the server first/);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      await db.drop();
    }
  });
});

describe('tessera oauth', () => {
  let db: TestDatabase;
  let op: TestOP;
  before(async () => {
    db = await fresh();
    op = await startOP([{ client_id: 'cli-client', client_secret: 'cli-secret', redirect_uris: ['http://localhost:4000/auth/oauth/corp/callback'] }]);
  });
  after(async () => {
    await op.close();
    await db.drop();
  });

  test('config, list, test, disable/enable, accounts, link, unlink and the refresh worker', async () => {
    assert.match((await expectCli(db, ['oauth', 'config', 'corp', '--client-id', 'cli-client'], 2)).err, /give --issuer/);
    assert.match((await expectCli(db, ['oauth', 'config', 'corp', '--issuer', 'ftp://x', '--client-id', 'c'], 2)).err, /--issuer: expected an http\(s\) URL/);
    const stored = await expectCli(db, ['oauth', 'config', 'corp', '--issuer', op.issuer, '--client-id', 'cli-client', '--client-secret-stdin', '--display-name', 'Corp'], 0, { input: 'cli-secret\n' });
    assert.match(stored.out, /corp \(oidc\) stored; register this callback URL at the provider: http:\/\/localhost:4000\/auth\/oauth\/corp\/callback/);
    const listed = JSON.parse((await expectCli(db, ['oauth', 'list', '--json'])).out) as { providers: { name: string; source: string; enabled: boolean }[] };
    assert.deepEqual(listed.providers.map((p) => [p.name, p.source, p.enabled]), [['corp', 'database', true]]);
    await withApp(db, async (t) => {
      const row = await t.deps.db.selectFrom('oauth_providers').select('client_secret_encrypted').where('name', '=', 'corp').executeTakeFirstOrThrow();
      assert.ok(row.client_secret_encrypted && !row.client_secret_encrypted.includes('cli-secret'), 'the secret is sealed');
    });

    const tested = await expectCli(db, ['oauth', 'test', 'corp']);
    assert.match(tested.out, /ok {3}configuration: discovered from http/);
    assert.match(tested.out, /ok {3}authorization endpoint: .* answered \d{3}/);
    assert.match(tested.out, /ok {3}JWKS: .* answered 200/);
    await expectCli(db, ['oauth', 'test', 'nowhere'], 3);
    // A provider whose issuer does not answer fails its test with exit 1.
    const deadPort = await freePort();
    await expectCli(db, ['oauth', 'config', 'dead', '--issuer', `http://127.0.0.1:${deadPort}`, '--client-id', 'x', '--client-secret', 'y']);
    const dead = await expectCli(db, ['oauth', 'test', 'dead', '--json'], 1);
    assert.equal((JSON.parse(dead.out) as { ok: boolean }).ok, false);
    await expectCli(db, ['oauth', 'remove', 'dead']);

    await expectCli(db, ['oauth', 'disable', '--providers', 'corp']);
    await withApp(db, async (t) => {
      assert.deepEqual(json(await t.app.inject({ method: 'GET', url: '/auth/oauth/providers' })).providers, []);
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/oauth/corp' })).statusCode, 404);
    });
    await expectCli(db, ['oauth', 'enable', '--providers', 'corp']);
    await withApp(db, async (t) => {
      assert.deepEqual(json(await t.app.inject({ method: 'GET', url: '/auth/oauth/providers' })).providers.map((p: { name: string }) => p.name), ['corp']);
    });
    assert.match((await expectCli(db, ['oauth', 'enable', '--providers', 'github'], 3)).err, /github is not configured/);
    const envProvider = { AUTH_OAUTH_GITHUB_CLIENT_ID: 'gh', AUTH_OAUTH_GITHUB_CLIENT_SECRET: 'gh-secret' };
    assert.match((await expectCli(db, ['oauth', 'disable', '--providers', 'github'], 4, { env: envProvider })).err, /oauth_provider_managed_by_env/);

    // Accounts: link by hand, list, unlink (the last sign-in method needs --force).
    await createUser(db, 'gina');
    await expectCli(db, ['users', 'create', '--email', 'nopass@example.com', '--username', 'nopass']);
    await expectCli(db, ['oauth', 'link', 'gina', 'corp', 'sub-123', '--email', 'gina@corp.example']);
    assert.match((await expectCli(db, ['oauth', 'link', 'nopass', 'corp', 'sub-123'], 4)).err, /identity_already_linked/);
    const accounts = JSON.parse((await expectCli(db, ['oauth', 'accounts', 'gina', '--json'])).out) as { identities: { provider: string; providerUserId: string }[] };
    assert.deepEqual(accounts.identities.map((i) => [i.provider, i.providerUserId]), [['corp', 'sub-123']]);
    await expectCli(db, ['oauth', 'link', 'nopass', 'corp', 'sub-456']);
    assert.match((await expectCli(db, ['oauth', 'unlink', 'nopass', 'corp'], 4)).err, /last_sign_in_method/);
    await expectCli(db, ['oauth', 'unlink', 'nopass', 'corp', '--force']);
    await expectCli(db, ['oauth', 'unlink', 'gina', 'corp']);
    await expectCli(db, ['oauth', 'unlink', 'gina', 'corp'], 3);
    // The operator is not bound by the rule of acting on a user, and its entries say so (docs/cli.md).
    await withApp(db, async (t) => {
      const entries = await t.deps.db.selectFrom('audit_log').select(['type', 'details']).where('type', 'in', ['oauth.identity_linked', 'oauth.identity_unlinked']).orderBy('id').execute();
      assert.deepEqual(entries.map((e) => [e.type, (e.details as { bypass?: string }).bypass]), [
        ['oauth.identity_linked', 'cli_operator'], ['oauth.identity_linked', 'cli_operator'], ['oauth.identity_unlinked', 'cli_operator'], ['oauth.identity_unlinked', 'cli_operator'],
      ]);
    });

    // The refresh worker: stop is a flag every instance reads; once refreshes due tokens regardless.
    // Stopped first: the app below that makes the token due runs a worker of its own.
    await expectCli(db, ['oauth', 'link', 'gina', 'corp', 'sub-789']);
    await expectCli(db, ['oauth', 'refresh', 'stop']);
    const attempts = () => withApp(db, async (t) => {
      const row = await t.deps.db.selectFrom('user_identities').select(['refresh_attempts', 'last_refresh_error']).where('provider_user_id', '=', 'sub-789').executeTakeFirstOrThrow();
      return row.refresh_attempts;
    });
    await withApp(db, async (t) => {
      const row = await t.deps.db.selectFrom('user_identities').select('id').where('provider_user_id', '=', 'sub-789').executeTakeFirstOrThrow();
      // Tokens as a sign-in would store them, due for refresh now (the provider will refuse this refresh token).
      const cols = t.deps.oauthVault.tokenColumns(row.id, { access_token: 'provider-access', refresh_token: 'provider-refresh', expires_in: 60 }, ['openid']);
      await t.deps.db.updateTable('user_identities').set({ ...cols, refresh_due_at: new Date(Date.now() - 1000) }).where('id', '=', row.id).execute();
    });
    const stopped = JSON.parse((await expectCli(db, ['oauth', 'refresh', 'status', '--json'])).out) as { paused: boolean; providers: { provider: string; due: number; withTokens: number }[] };
    assert.equal(stopped.paused, true);
    assert.deepEqual(stopped.providers.map((p) => [p.provider, p.due, p.withTokens]), [['corp', 1, 1]]);
    // A server's worker pass does nothing while stopped.
    await withApp(db, async (t) => { await t.deps.oauthVault.worker.kick(); });
    assert.equal(await attempts(), 0);
    const once = JSON.parse((await expectCli(db, ['oauth', 'refresh', 'once', '--json'])).out) as { refreshed: number };
    assert.equal(once.refreshed, 1);
    assert.equal(await attempts(), 1, 'the refresh was tried (and refused by the provider)');
    assert.match((await expectCli(db, ['oauth', 'refresh', 'start'])).out, /token refresh running/);
    assert.match((await expectCli(db, ['oauth', 'refresh', 'start'])).out, /already was/);
    assert.match((await expectCli(db, ['oauth', 'status'])).out, /corp\s+oidc\s+database\s+true/);
  });
});

