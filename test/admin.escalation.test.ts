// Issue 33: acting on a user needs every permission that user holds. An `admin` (who
// holds `users:write`) tried to take over a super_admin: change its email to one they read
// (marked verified), reset its MFA, force a password reset, then complete the reset at the
// new address and sign in with `*`. Each step, and every other change to that user, is now
// `403 permission_escalation` with nothing changed in the database; a super_admin still
// does them, an admin still manages plain users, and the operator at the command line
// is not bound but says so in the audit log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { operator } from '../src/cli/context.ts';
import { bearer, createTestApp, json, login, signUp, type SignedIn, type TestApp } from './helpers/app.ts';
import { SmtpSink } from './helpers/smtp.ts';

let sink: SmtpSink;
before(async () => { sink = await new SmtpSink().start(); });
after(async () => { await sink.stop(); });

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
const call = (t: TestApp, token: string, method: Method, url: string, payload?: object) =>
  t.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

/** Everything about a user that any of the actions would change. */
async function snapshot(t: TestApp, id: string) {
  const user = await t.deps.db.selectFrom('users')
    .select(['email', 'email_verified', 'username', 'is_active', 'password_hash', 'password_reset_required', 'metadata', 'role', 'updated_at'])
    .where('id', '=', id).executeTakeFirst();
  const roles = (await t.deps.db.selectFrom('user_roles').select('role').where('user_id', '=', id).orderBy('role').execute()).map((r) => r.role);
  const factors = (await t.deps.db.selectFrom('mfa_factors').select('id').where('user_id', '=', id).execute()).length;
  const liveSessions = (await t.deps.db.selectFrom('sessions').select('id').where('user_id', '=', id).where('revoked_at', 'is', null).execute()).length;
  const entries = (await t.deps.db.selectFrom('audit_log').select('id').where('subject_user_id', '=', id).execute()).length;
  return { user, roles, factors, liveSessions, entries };
}

/** The user's first session's id. */
async function sessionOf(t: TestApp, s: SignedIn): Promise<string> {
  return json(await call(t, s.accessToken, 'GET', '/auth/sessions/current')).id as string;
}

/** Gives the user an email factor (the email is marked verified first, as the factor needs). */
async function addEmailFactor(t: TestApp, s: SignedIn): Promise<void> {
  await t.deps.db.updateTable('users').set({ email_verified: true }).where('id', '=', s.user.id).execute();
  await t.deps.users.changed(s.user.id);
  const res = await call(t, s.accessToken, 'POST', '/auth/mfa/email');
  assert.equal(res.statusCode, 200, res.body);
}

/** The attack and every other change to an existing user, as [what, method, url, body]. */
function actions(target: string, sessionId: string, other: string): [string, Method, string, object?][] {
  const u = `/admin/users/${target}`;
  return [
    ['change the email, marked verified', 'PATCH', u, { email: 'attacker-inbox@example.test', emailVerified: true }],
    ['change the username', 'PATCH', u, { username: 'renamed_by_admin' }],
    ['change the metadata', 'PATCH', u, { metadata: { owned: true } }],
    ['change the default role', 'PATCH', u, { role: 'viewer' }],
    ['reset MFA', 'POST', `${u}/mfa/reset`],
    ['force a password reset', 'POST', `${u}/password-reset`],
    ['end one session', 'DELETE', `${u}/sessions/${sessionId}`],
    ['end every session', 'DELETE', `${u}/sessions`],
    ['unlock', 'POST', `${u}/unlock`],
    ['disable', 'POST', `${u}/disable`],
    ['enable', 'POST', `${u}/enable`],
    ['assign an extra role', 'PUT', `${u}/roles/moderator`],
    ['take an extra role', 'DELETE', `${u}/roles/super_admin`],
    ['merge their identities into another user', 'POST', `/admin/users/${other}/identities/merge`, { fromUserId: target }],
    ['merge identities into them', 'POST', `${u}/identities/merge`, { fromUserId: other }],
    ['delete', 'DELETE', u],
  ];
}

/** A user with only the built-in `admin` role (set by `by`, a super_admin). */
async function makeAdmin(t: TestApp, by: string): Promise<SignedIn> {
  const s = await signUp(t.app);
  assert.equal((await call(t, by, 'PATCH', `/admin/users/${s.user.id}`, { role: 'admin' })).statusCode, 200);
  assert.deepEqual(json(await call(t, s.accessToken, 'GET', '/auth/permissions')).roles, ['admin']);
  return s;
}

describe('acting on a user needs every permission they hold', () => {
  test('an admin cannot take over a super_admin: every action is 403 permission_escalation and nothing changes', async () => {
    const t = await createTestApp({ env: { ...sink.env(), AUTH_CLIENT_URL: 'https://app.example.test' } });
    try {
      const root = await signUp(t.app);
      const r = root.accessToken;
      // The target: a second super_admin with a factor and a live session.
      const boss = await signUp(t.app);
      await call(t, r, 'PATCH', `/admin/users/${boss.user.id}`, { role: 'admin' });
      assert.equal((await call(t, r, 'PUT', `/admin/users/${boss.user.id}/roles/super_admin`)).statusCode, 200);
      await addEmailFactor(t, boss);
      const bossSession = await sessionOf(t, boss);
      const admin = await makeAdmin(t, r);
      const plain = await signUp(t.app);

      const mailsBefore = sink.messages.length;
      const before = await snapshot(t, boss.user.id);
      assert.deepEqual([before.roles, before.factors, before.liveSessions], [['super_admin'], 1, 1]);
      for (const [what, method, url, body] of actions(boss.user.id, bossSession, plain.user.id)) {
        const res = await call(t, admin.accessToken, method, url, body);
        assert.equal(res.statusCode, 403, `${what}: ${res.body}`);
        assert.deepEqual([json(res).code, json(res).details], ['permission_escalation', { permission: '*' }], what);
        assert.deepEqual(await snapshot(t, boss.user.id), before, `${what}: nothing changed`);
      }
      // The target still signs in and works as before; no reset email went out.
      assert.equal((await call(t, boss.accessToken, 'GET', '/auth/me')).statusCode, 200);
      assert.equal(json(await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: boss.creds.email, password: boss.creds.password } })).code, 'mfa_required');
      await new Promise((resolve) => setTimeout(resolve, 200));
      // (The sign-in's own code and any notice of the factor may arrive; a reset link may not.)
      assert.deepEqual(sink.messages.slice(mailsBefore).filter((m) => /reset/i.test(m.subject) || m.to.includes('attacker-inbox')).map((m) => m.subject), []);
      // The same for the first super_admin.
      const rootBefore = await snapshot(t, root.user.id);
      for (const [what, method, url, body] of actions(root.user.id, await sessionOf(t, root), plain.user.id)) {
        const res = await call(t, admin.accessToken, method, url, body);
        assert.equal(json(res).code, 'permission_escalation', `root: ${what}`);
      }
      assert.deepEqual(await snapshot(t, root.user.id), rootBefore);
    } finally {
      await t.close();
    }
  });

  test('a super_admin still does all of it to another super_admin', async () => {
    const t = await createTestApp({ env: { ...sink.env(), AUTH_CLIENT_URL: 'https://app.example.test' } });
    try {
      const root = await signUp(t.app);
      const r = root.accessToken;
      const boss = await signUp(t.app);
      await call(t, r, 'PATCH', `/admin/users/${boss.user.id}`, { role: 'admin' });
      await call(t, r, 'PUT', `/admin/users/${boss.user.id}/roles/super_admin`);
      await addEmailFactor(t, boss);
      const u = `/admin/users/${boss.user.id}`;
      const patched = json(await call(t, r, 'PATCH', u, { email: 'boss-new@example.test', emailVerified: true, metadata: { team: 'ops' } }));
      assert.deepEqual([patched.user.email, patched.user.emailVerified], ['boss-new@example.test', true]);
      assert.deepEqual(json(await call(t, r, 'POST', `${u}/mfa/reset`)), { factors: 1, passkeys: 0 });
      assert.equal((await call(t, r, 'POST', `${u}/unlock`)).statusCode, 200);
      const second = await login(t.app, { email: 'boss-new@example.test', password: boss.creds.password }, 'native');
      assert.equal(json(await call(t, r, 'DELETE', `${u}/sessions/${await sessionOf(t, second)}`)).revoked, 1);
      assert.equal((await call(t, r, 'DELETE', `${u}/sessions`)).statusCode, 200);
      assert.equal((await call(t, r, 'POST', `${u}/password-reset`)).statusCode, 200);
      assert.equal(json(await call(t, r, 'POST', `${u}/disable`)).user.active, false);
      assert.equal(json(await call(t, r, 'POST', `${u}/enable`)).user.active, true);
      assert.equal((await call(t, r, 'DELETE', `${u}/roles/super_admin`)).statusCode, 200);
      assert.equal((await call(t, r, 'DELETE', u)).statusCode, 200);
      // Its entries name the super_admin, with no bypass.
      const entries = await t.deps.db.selectFrom('audit_log').select(['type', 'actor_type', 'actor_id', 'details']).where('subject_user_id', '=', boss.user.id)
        .where('type', 'in', ['user.updated', 'user.mfa_reset', 'password.reset_forced', 'user.disabled', 'user.deleted']).execute();
      assert.equal(entries.length, 5);
      for (const e of entries) {
        assert.deepEqual([e.actor_type, e.actor_id], ['user', root.user.id], e.type);
        assert.equal((e.details as { bypass?: string }).bypass, undefined, e.type);
      }
    } finally {
      await t.close();
    }
  });

  test('an admin still manages plain users and other admins, and themself', async () => {
    const t = await createTestApp({ env: { ...sink.env(), AUTH_CLIENT_URL: 'https://app.example.test' } });
    try {
      const root = await signUp(t.app);
      const admin = await makeAdmin(t, root.accessToken);
      const a = admin.accessToken;
      const plain = await signUp(t.app);
      await addEmailFactor(t, plain);
      const u = `/admin/users/${plain.user.id}`;
      assert.equal(json(await call(t, a, 'PATCH', u, { email: 'plain-new@example.test', emailVerified: true })).user.email, 'plain-new@example.test');
      assert.deepEqual(json(await call(t, a, 'POST', `${u}/mfa/reset`)), { factors: 1, passkeys: 0 });
      assert.equal((await call(t, a, 'POST', `${u}/unlock`)).statusCode, 200);
      assert.equal(json(await call(t, a, 'DELETE', `${u}/sessions/${await sessionOf(t, plain)}`)).revoked, 1);
      assert.equal((await call(t, a, 'DELETE', `${u}/sessions`)).statusCode, 200);
      assert.equal((await call(t, a, 'POST', `${u}/password-reset`)).statusCode, 200);
      assert.equal((await call(t, a, 'PUT', `${u}/roles/moderator`)).statusCode, 200);
      assert.equal((await call(t, a, 'DELETE', `${u}/roles/moderator`)).statusCode, 200);
      assert.equal((await call(t, a, 'POST', `${u}/disable`)).statusCode, 200);
      assert.equal((await call(t, a, 'POST', `${u}/enable`)).statusCode, 200);
      // Another admin holds nothing more: allowed.
      const peer = await makeAdmin(t, root.accessToken);
      assert.equal((await call(t, a, 'POST', `/admin/users/${peer.user.id}/disable`)).statusCode, 200);
      assert.equal((await call(t, a, 'POST', `/admin/users/${peer.user.id}/enable`)).statusCode, 200);
      // Acting on oneself holds one's own permissions trivially.
      assert.equal(json(await call(t, a, 'PATCH', `/admin/users/${admin.user.id}`, { metadata: { desk: 4 } })).user.metadata.desk, 4);
      assert.equal((await call(t, a, 'DELETE', u)).statusCode, 200);
    } finally {
      await t.close();
    }
  });

  test('a custom role granting what the admin lacks (or a wildcard) protects its holders', async () => {
    const t = await createTestApp();
    try {
      const r = (await signUp(t.app)).accessToken;
      const admin = await makeAdmin(t, r);
      assert.equal((await call(t, r, 'POST', '/admin/permissions', { name: 'billing:refund' })).statusCode, 201);
      assert.equal((await call(t, r, 'POST', '/admin/permissions', { name: 'users:*' })).statusCode, 201);
      assert.equal((await call(t, r, 'POST', '/admin/roles', { name: 'finance', permissions: ['billing:refund'] })).statusCode, 201);
      assert.equal((await call(t, r, 'POST', '/admin/roles', { name: 'user_wizard', permissions: ['users:*'] })).statusCode, 201);
      for (const [role, missing] of [['finance', 'billing:refund'], ['user_wizard', 'users:*']] as const) {
        const holder = await signUp(t.app);
        assert.equal((await call(t, r, 'PUT', `/admin/users/${holder.user.id}/roles/${role}`)).statusCode, 200);
        const before = await snapshot(t, holder.user.id);
        for (const [method, url, body] of [
          ['PATCH', `/admin/users/${holder.user.id}`, { email: `${role}-taken@example.test`, emailVerified: true }],
          ['POST', `/admin/users/${holder.user.id}/password-reset`],
          ['POST', `/admin/users/${holder.user.id}/disable`],
          ['DELETE', `/admin/users/${holder.user.id}`],
        ] as [Method, string, object?][]) {
          const res = await call(t, admin.accessToken, method, url, body);
          assert.equal(res.statusCode, 403, `${role}: ${method} ${url}`);
          assert.deepEqual([json(res).code, json(res).details], ['permission_escalation', { permission: missing }]);
        }
        assert.deepEqual(await snapshot(t, holder.user.id), before);
        // Once the role is gone, the admin may act.
        assert.equal((await call(t, r, 'DELETE', `/admin/users/${holder.user.id}/roles/${role}`)).statusCode, 200);
        assert.equal((await call(t, admin.accessToken, 'POST', `/admin/users/${holder.user.id}/disable`)).statusCode, 200);
      }
    } finally {
      await t.close();
    }
  });

  test('a service account follows the same rule', async () => {
    const t = await createTestApp();
    try {
      const root = await signUp(t.app);
      const r = root.accessToken;
      const created = json(await call(t, r, 'POST', '/admin/service-accounts', { name: 'provisioning', permissions: ['users:write', 'users:delete', 'sessions:revoke', 'users:read'] }));
      const token = json(await t.app.inject({ method: 'POST', url: '/auth/token', payload: { grant_type: 'client_credentials', client_id: created.serviceAccount.clientId, client_secret: created.clientSecret } })).access_token as string;
      const moderator = await signUp(t.app);
      await call(t, r, 'PUT', `/admin/users/${moderator.user.id}/roles/moderator`);
      const before = await snapshot(t, moderator.user.id);
      for (const [method, url, body] of [
        ['PATCH', `/admin/users/${root.user.id}`, { email: 'sa-took@example.test', emailVerified: true }],
        ['POST', `/admin/users/${root.user.id}/password-reset`],
        ['DELETE', `/admin/users/${root.user.id}/sessions`],
        ['POST', `/admin/users/${moderator.user.id}/disable`],
      ] as [Method, string, object?][]) {
        const res = await call(t, token, method, url, body);
        assert.equal(json(res).code, 'permission_escalation', `${method} ${url}`);
      }
      assert.equal(json(await call(t, token, 'POST', `/admin/users/${moderator.user.id}/disable`)).details.permission, 'audit:read');
      assert.deepEqual(await snapshot(t, moderator.user.id), before);
      const plain = await signUp(t.app);
      assert.equal((await call(t, token, 'POST', `/admin/users/${plain.user.id}/disable`)).statusCode, 200);
      assert.equal((await call(t, token, 'DELETE', `/admin/users/${plain.user.id}`)).statusCode, 200);
    } finally {
      await t.close();
    }
  });

  test('a holder of `*` outside super_admin may act on a super_admin, and the last-super_admin guard still holds', async () => {
    const t = await createTestApp();
    try {
      const root = await signUp(t.app);
      const r = root.accessToken;
      assert.equal((await call(t, r, 'POST', '/admin/roles', { name: 'root_like', permissions: ['*'] })).statusCode, 201);
      const wide = await signUp(t.app);
      assert.equal((await call(t, r, 'PUT', `/admin/users/${wide.user.id}/roles/root_like`)).statusCode, 200);
      // It holds `*`, so the rule lets it through; the only super_admin still cannot go.
      assert.equal(json(await call(t, wide.accessToken, 'POST', `/admin/users/${root.user.id}/disable`)).code, 'last_super_admin');
      assert.equal(json(await call(t, wide.accessToken, 'DELETE', `/admin/users/${root.user.id}`)).code, 'last_super_admin');
      assert.equal(json(await call(t, wide.accessToken, 'PATCH', `/admin/users/${root.user.id}`, { metadata: { checked: true } })).user.metadata.checked, true);
    } finally {
      await t.close();
    }
  });

  test('the operator at the command line is not bound, and its entries say so', async () => {
    const t = await createTestApp();
    try {
      const root = await signUp(t.app);
      const boss = await signUp(t.app);
      await call(t, root.accessToken, 'PATCH', `/admin/users/${boss.user.id}`, { role: 'admin' });
      await call(t, root.accessToken, 'PUT', `/admin/users/${boss.user.id}/roles/super_admin`);
      // The CLI's commands call these services with the operator as the caller.
      await t.deps.admin.updateUser(operator, boss.user.id, { metadata: { by: 'cli' } });
      await t.deps.admin.revokeSessions(operator, boss.user.id);
      await t.deps.admin.setActive(operator, boss.user.id, false);
      await t.deps.admin.setActive(operator, boss.user.id, true);
      await t.deps.rbac.removeRole(operator, boss.user.id, 'super_admin');
      await t.deps.admin.deleteUser(operator, boss.user.id);
      const entries = await t.deps.db.selectFrom('audit_log').select(['type', 'details']).where('subject_user_id', '=', boss.user.id)
        .where('type', 'in', ['user.updated', 'user.sessions_revoked', 'user.disabled', 'user.enabled', 'user.role_removed', 'user.deleted']).orderBy('id').execute();
      assert.deepEqual(entries.map((e) => [e.type, (e.details as { bypass?: string }).bypass]), [
        ['user.updated', 'cli_operator'], ['user.sessions_revoked', 'cli_operator'], ['user.disabled', 'cli_operator'],
        ['user.enabled', 'cli_operator'], ['user.role_removed', 'cli_operator'], ['user.deleted', 'cli_operator'],
      ]);
    } finally {
      await t.close();
    }
  });
});
