// The audit log: each security event writes exactly one entry of its type (counted in the
// table around each action, so a missing entry and a duplicate both fail), the entries
// carry actor, subject, address and reason but never a secret, and GET /admin/audit
// filters, pages and is pruned by the retention setting.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { ManualClock } from '../src/core/clock.ts';
import { AUDIT_EVENT_TYPES } from '../src/modules/audit/index.ts';
import { bearer, createTestApp, json, login, register, signUp, uniqueCredentials, type TestApp } from './helpers/app.ts';
import { codeOf, SmtpSink } from './helpers/smtp.ts';

const T0 = Date.parse('2026-05-04T09:00:10Z');
const totp = (secret: string, ms: number) => generate({ secret, epoch: Math.floor(ms / 1000) });

let sink: SmtpSink;
before(async () => { sink = await new SmtpSink().start(); });
after(async () => { await sink.stop(); });

async function countsByType(t: TestApp): Promise<Map<string, number>> {
  const rows = await t.deps.db.selectFrom('audit_log').select(['type']).select((eb) => eb.fn.countAll<string>().as('n')).groupBy('type').execute();
  return new Map(rows.map((r) => [r.type, Number(r.n)]));
}

/** Runs `action` and checks the entries it wrote, by type: exactly these, no more. */
function recorder(t: TestApp) {
  const seen = new Set<string>();
  return {
    seen,
    async expect<T>(expected: Record<string, number>, action: () => Promise<T>, label = Object.keys(expected).join(' ')): Promise<T> {
      const beforeCounts = await countsByType(t);
      const out = await action();
      const afterCounts = await countsByType(t);
      const diff: Record<string, number> = {};
      for (const [type, n] of afterCounts) if (n !== (beforeCounts.get(type) ?? 0)) diff[type] = n - (beforeCounts.get(type) ?? 0);
      assert.deepEqual(diff, expected, label);
      for (const type of Object.keys(expected)) seen.add(type);
      return out;
    },
  };
}

const newest = async (t: TestApp, type: string) => t.deps.db.selectFrom('audit_log').selectAll().where('type', '=', type).orderBy('id', 'desc').executeTakeFirstOrThrow();

describe('one entry per event', () => {
  test('every type of the catalogue, each exactly once per event, with actor, subject and reason; no secret in any entry', async () => {
    const clock = new ManualClock(T0);
    const t = await createTestApp({
      clock,
      env: { ...sink.env(), AUTH_ACCOUNT_LOCKOUT_ATTEMPTS: '3', AUTH_REFRESH_TOKEN_REUSE_INTERVAL: '0', AUTH_MAX_ACTIVE_SESSIONS: '4', AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false', AUTH_WEBHOOK_ALLOW_PRIVATE: 'true' },
    });
    const a = recorder(t);
    const secrets: string[] = [];
    try {
      // Registration, verification, sign-in.
      const adminCreds = uniqueCredentials('boss');
      await a.expect({ 'user.registered': 1 }, () => register(t.app, adminCreds));
      const admin = await a.expect({ 'user.login_succeeded': 1 }, () => login(t.app, adminCreds, 'native'));
      const h = bearer(admin.accessToken);
      const creds = uniqueCredentials('audited');
      secrets.push(creds.password, adminCreds.password, admin.accessToken, admin.refreshToken);
      const before0 = sink.messages.length;
      const reg = json(await a.expect({ 'user.registered': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/register', payload: creds, headers: { 'user-agent': 'AuditAgent/1.0' } })));
      const userId = reg.user.id as string;
      const regEntry = await newest(t, 'user.registered');
      assert.deepEqual([regEntry.subject_user_id, regEntry.actor_type, regEntry.actor_id, regEntry.user_agent, regEntry.success], [userId, 'user', userId, 'AuditAgent/1.0', true]);
      assert.ok(regEntry.ip, 'the address is recorded');
      const code = codeOf(await sink.latest(creds.email, /Verify/, before0));
      secrets.push(code);
      await a.expect({ 'email.verified': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { id: reg.verification.id, code } }));
      // Someone else's registration of an address, proven by its owner without the
      // registrant's mark: what the registrant set is removed, in one entry.
      const squatted = uniqueCredentials('squatted');
      const squat = await register(t.app, squatted);
      const squatSession = await login(t.app, squatted, 'native');
      secrets.push(squatted.password, squatSession.accessToken, squatSession.refreshToken);
      const squatCode = codeOf(await sink.latest(squatted.email, /Verify/));
      await a.expect({ 'email.verified': 1, 'account.address_claimed': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { email: squatted.email, code: squatCode } }));
      const claimed = await newest(t, 'account.address_claimed');
      assert.deepEqual([claimed.subject_user_id, claimed.actor_type, (claimed.details as Record<string, unknown>).passwordCleared, (claimed.details as Record<string, unknown>).sessionsRevoked], [squat.user.id, 'system', true, 1]);

      // Failures carry their reason; an unknown account has no subject.
      await a.expect({ 'user.login_failed': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: 'wrong-password-1' } }));
      let failed = await newest(t, 'user.login_failed');
      assert.deepEqual([failed.success, failed.reason, failed.subject_user_id, failed.actor_type], [false, 'wrong_password', userId, 'anonymous']);
      await a.expect({ 'user.login_failed': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'nobody-here@example.test', password: 'wrong-password-1' } }));
      failed = await newest(t, 'user.login_failed');
      assert.deepEqual([failed.reason, failed.subject_user_id], ['unknown_user', null]);
      // The third failure locks: one failure and one lock.
      await a.expect({ 'user.login_failed': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: 'wrong-password-2' } }));
      await a.expect({ 'user.login_failed': 1, 'account.locked': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: 'wrong-password-3' } }));
      await a.expect({ 'account.unlocked': 1 }, () => t.app.inject({ method: 'POST', url: `/admin/users/${userId}/unlock`, headers: h }));
      const unlocked = await newest(t, 'account.unlocked');
      assert.deepEqual([unlocked.actor_type, unlocked.actor_id, unlocked.subject_user_id], ['user', admin.user.id, userId], 'the acting admin and the subject');

      // Refresh: rotation is not an event; presenting a spent token is.
      const s1 = await a.expect({ 'user.login_succeeded': 1 }, () => login(t.app, creds, 'native'));
      secrets.push(s1.refreshToken);
      const rotated = json(await a.expect({}, () => t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: s1.refreshToken } })));
      secrets.push(rotated.refreshToken);
      await a.expect({ 'session.refresh_reused': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: s1.refreshToken } }));

      // MFA: enrolment, challenge, a wrong code, success, recovery codes, removal.
      const s2 = await login(t.app, creds, 'native');
      const setup = json(await t.app.inject({ method: 'POST', url: '/auth/mfa/totp/setup', headers: bearer(s2.accessToken) }));
      secrets.push(setup.secret);
      const enrolCode = await totp(setup.secret, clock.now());
      const enrolled = json(await a.expect({ 'mfa.factor_added': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/mfa/totp/verify', headers: bearer(s2.accessToken), payload: { code: enrolCode } })));
      secrets.push(...enrolled.recoveryCodes);
      clock.advance(30_000);
      const challenge = json(await a.expect({ 'mfa.challenge_issued': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: creds.password, client: 'native' } })));
      await a.expect({ 'user.login_failed': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/login/mfa', payload: { verification_id: challenge.verification_id, code: '000000', method: 'totp' } }));
      assert.equal((await newest(t, 'user.login_failed')).reason, 'mfa_invalid_code');
      const loginCode = await totp(setup.secret, clock.now());
      const s3 = json(await a.expect({ 'mfa.challenge_succeeded': 1, 'user.login_succeeded': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/login/mfa', payload: { verification_id: challenge.verification_id, code: loginCode, method: 'totp' } })));
      const h3 = bearer(s3.accessToken);
      const regenerated = json(await a.expect({ 'mfa.recovery_codes_regenerated': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/mfa/recovery-codes', headers: h3 })));
      secrets.push(...regenerated.recoveryCodes);
      const factorId = json(await t.app.inject({ method: 'GET', url: '/auth/mfa', headers: h3 })).factors[0].id;
      await a.expect({ 'mfa.factor_removed': 1 }, () => t.app.inject({ method: 'DELETE', url: `/auth/mfa/${factorId}`, headers: h3 }));

      // Sessions: one revoked, the others revoked, the oldest evicted by the limit.
      const others = [await login(t.app, creds, 'native'), await login(t.app, creds, 'native')];
      const otherId = json(await t.app.inject({ method: 'GET', url: '/auth/sessions/current', headers: bearer(others[0]!.accessToken) })).id;
      await a.expect({ 'session.revoked': 1 }, () => t.app.inject({ method: 'DELETE', url: `/auth/sessions/${otherId}`, headers: h3 }));
      await a.expect({ 'session.revoked': 1 }, () => t.app.inject({ method: 'DELETE', url: '/auth/sessions', headers: h3 }));
      for (let i = 0; i < 3; i++) {
        clock.advance(1000);
        await login(t.app, creds, 'native');
      }
      clock.advance(1000);
      const newest4 = await a.expect({ 'user.login_succeeded': 1, 'session.evicted': 1 }, () => login(t.app, creds, 'native'));

      // Passwords and email.
      const newPassword = 'a-changed-password-42';
      secrets.push(newPassword);
      await a.expect({ 'password.changed': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/password/change', headers: bearer(newest4.accessToken), payload: { currentPassword: creds.password, newPassword } }));
      const before1 = sink.messages.length;
      await a.expect({}, () => t.app.inject({ method: 'POST', url: '/auth/password/forgot', payload: { email: creds.email } }));
      const resetCode = codeOf(await sink.latest(creds.email, /Reset your/, before1));
      secrets.push(resetCode);
      const resetPassword = 'a-reset-password-43';
      secrets.push(resetPassword);
      await a.expect({ 'password.reset': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/password/reset', payload: { email: creds.email, code: resetCode, password: resetPassword } }));
      const s4 = await login(t.app, { email: creds.email, password: resetPassword }, 'native');
      const newEmail = uniqueCredentials('moved').email;
      const change = json(await a.expect({}, () => t.app.inject({ method: 'POST', url: '/auth/email/change', headers: bearer(s4.accessToken), payload: { newEmail } })));
      const changeCode = codeOf(await sink.latest(newEmail, /Confirm your new email/));
      await a.expect({ 'email.changed': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/email/change/confirm', payload: { id: change.id, code: changeCode } }));
      await a.expect({ 'username.changed': 1 }, () => t.app.inject({ method: 'PATCH', url: '/auth/me', headers: bearer(s4.accessToken), payload: { username: uniqueCredentials('renamed').username } }));

      // Administration of users, each with the acting admin.
      const made = json(await a.expect({ 'user.created': 1 }, () => t.app.inject({ method: 'POST', url: '/admin/users', headers: h, payload: uniqueCredentials('made') }))).user;
      await a.expect({ 'user.updated': 1 }, () => t.app.inject({ method: 'PATCH', url: `/admin/users/${made.id}`, headers: h, payload: { metadata: { plan: 'team' } } }));
      await a.expect({ 'user.role_assigned': 1 }, () => t.app.inject({ method: 'PUT', url: `/admin/users/${made.id}/roles/moderator`, headers: h }));
      await a.expect({ 'user.role_removed': 1 }, () => t.app.inject({ method: 'DELETE', url: `/admin/users/${made.id}/roles/moderator`, headers: h }));
      await a.expect({ 'user.default_role_changed': 1 }, () => t.app.inject({ method: 'PATCH', url: `/admin/users/${made.id}`, headers: h, payload: { role: 'user' } }));
      await a.expect({ 'user.disabled': 1 }, () => t.app.inject({ method: 'POST', url: `/admin/users/${made.id}/disable`, headers: h }));
      await a.expect({}, () => t.app.inject({ method: 'POST', url: `/admin/users/${made.id}/disable`, headers: h }), 'disabling twice changes nothing');
      await a.expect({ 'user.enabled': 1 }, () => t.app.inject({ method: 'POST', url: `/admin/users/${made.id}/enable`, headers: h }));
      await a.expect({ 'user.sessions_revoked': 1 }, () => t.app.inject({ method: 'DELETE', url: `/admin/users/${userId}/sessions`, headers: h }));
      await a.expect({ 'user.mfa_reset': 1 }, () => t.app.inject({ method: 'POST', url: `/admin/users/${userId}/mfa/reset`, headers: h }));
      await a.expect({ 'password.reset_forced': 1 }, () => t.app.inject({ method: 'POST', url: `/admin/users/${made.id}/password-reset`, headers: h }));
      await a.expect({ 'user.deleted': 1 }, () => t.app.inject({ method: 'DELETE', url: `/admin/users/${made.id}`, headers: h }));
      const deleted = await newest(t, 'user.deleted');
      assert.deepEqual([deleted.actor_id, deleted.subject_user_id], [admin.user.id, made.id], 'the entry outlives its subject');

      // Roles and permissions.
      await a.expect({ 'permission.created': 1 }, () => t.app.inject({ method: 'POST', url: '/admin/permissions', headers: h, payload: { name: 'reports:read' } }));
      await a.expect({ 'role.created': 1 }, () => t.app.inject({ method: 'POST', url: '/admin/roles', headers: h, payload: { name: 'analyst', permissions: ['reports:read'], includes: ['viewer'] } }));
      await a.expect({ 'role.updated': 1 }, () => t.app.inject({ method: 'PATCH', url: '/admin/roles/analyst', headers: h, payload: { description: 'Reads reports' } }));
      await a.expect({ 'role.permission_granted': 1 }, () => t.app.inject({ method: 'PUT', url: '/admin/roles/analyst/permissions/users:read', headers: h }));
      await a.expect({ 'role.permission_revoked': 1 }, () => t.app.inject({ method: 'DELETE', url: '/admin/roles/analyst/permissions/users:read', headers: h }));
      await a.expect({ 'role.include_removed': 1 }, () => t.app.inject({ method: 'DELETE', url: '/admin/roles/analyst/includes/viewer', headers: h }));
      await a.expect({ 'role.include_added': 1 }, () => t.app.inject({ method: 'PUT', url: '/admin/roles/analyst/includes/viewer', headers: h }));
      await a.expect({ 'role.deleted': 1 }, () => t.app.inject({ method: 'DELETE', url: '/admin/roles/analyst', headers: h }));
      await a.expect({ 'permission.deleted': 1 }, () => t.app.inject({ method: 'DELETE', url: '/admin/permissions/reports:read', headers: h }));

      // Service accounts: management and use.
      const created = json(await a.expect({ 'service_account.created': 1 }, () => t.app.inject({ method: 'POST', url: '/admin/service-accounts', headers: h, payload: { name: 'reporting', permissions: ['users:read'] } })));
      const sa = created.serviceAccount;
      secrets.push(created.clientSecret);
      await a.expect({ 'service_account.updated': 1 }, () => t.app.inject({ method: 'PATCH', url: `/admin/service-accounts/${sa.id}`, headers: h, payload: { permissions: ['users:read', 'audit:read'] } }));
      const rotatedSecret = json(await a.expect({ 'service_account.secret_rotated': 1 }, () => t.app.inject({ method: 'POST', url: `/admin/service-accounts/${sa.id}/secret`, headers: h }))).clientSecret;
      secrets.push(rotatedSecret);
      const issued = json(await a.expect({ 'service_account.token_issued': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/token', payload: { grant_type: 'client_credentials', client_id: sa.clientId, client_secret: rotatedSecret } })));
      secrets.push(issued.access_token);
      await a.expect({ 'service_account.token_denied': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/token', payload: { grant_type: 'client_credentials', client_id: sa.clientId, client_secret: created.clientSecret } }));
      const denied = await newest(t, 'service_account.token_denied');
      assert.deepEqual([denied.success, denied.reason, denied.actor_type, denied.actor_id], [false, 'wrong_secret', 'service_account', sa.id]);
      await a.expect({ 'service_account.deleted': 1 }, () => t.app.inject({ method: 'DELETE', url: `/admin/service-accounts/${sa.id}`, headers: h }));

      // Webhooks: the secrets stay out of the log, and so does the query of the URL.
      const hookCreated = json(await a.expect({ 'webhook.created': 1 }, () => t.app.inject({ method: 'POST', url: '/admin/webhooks', headers: h, payload: { url: 'http://127.0.0.1:9/hook?token=query-secret-1', eventTypes: ['user.deleted'] } })));
      secrets.push(hookCreated.secret, 'query-secret-1');
      const hookId = hookCreated.endpoint.id as string;
      await a.expect({ 'webhook.updated': 1 }, () => t.app.inject({ method: 'PATCH', url: `/admin/webhooks/${hookId}`, headers: h, payload: { active: false } }));
      secrets.push(json(await a.expect({ 'webhook.secret_rotated': 1 }, () => t.app.inject({ method: 'POST', url: `/admin/webhooks/${hookId}/secret`, headers: h }))).secret);
      const hookDelivery = await t.deps.db.selectFrom('webhook_deliveries').select('id').where('endpoint_id', '=', hookId).executeTakeFirst();
      assert.equal(hookDelivery, undefined, 'an inactive endpoint gets no deliveries');
      await t.deps.db.insertInto('webhook_deliveries').values({
        id: '00000000-0000-4000-8000-00000000dead', endpoint_id: hookId, event_id: '00000000-0000-4000-8000-00000000e1e1', event_type: 'user.deleted',
        payload: JSON.stringify({ id: 'x' }), status: 'dead', next_attempt_at: new Date(T0), created_at: new Date(T0), completed_at: new Date(T0),
      }).execute();
      await a.expect({ 'webhook.delivery_replayed': 1 }, () => t.app.inject({ method: 'POST', url: `/admin/webhooks/${hookId}/deliveries/00000000-0000-4000-8000-00000000dead/replay`, headers: h }));
      await a.expect({ 'webhook.deleted': 1 }, () => t.app.inject({ method: 'DELETE', url: `/admin/webhooks/${hookId}`, headers: h }));

      // Organizations: each change, one entry.
      const owner = await signUp(t.app);
      const member = await signUp(t.app);
      const ob = bearer(owner.accessToken);
      const mb = bearer(member.accessToken);
      const orgUrl = (org: string, rest = '') => `/auth/organizations/${org}${rest}`;
      const org = json(await a.expect({ 'organization.created': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/organizations', headers: ob, payload: { name: 'Audit Org' } })));
      await a.expect({ 'organization.updated': 1 }, () => t.app.inject({ method: 'PATCH', url: orgUrl(org.id), headers: ob, payload: { name: 'Audit Org Two' } }));
      const sentOrg = sink.messages.length;
      await a.expect({ 'organization.invitation_created': 1 }, () => t.app.inject({ method: 'POST', url: orgUrl(org.id, '/invitations'), headers: ob, payload: { email: member.creds.email } }));
      const invitationToken = /token=([A-Za-z0-9_-]{43})/.exec((await sink.latest(member.creds.email, /Audit Org Two/, sentOrg)).text)![1]!;
      secrets.push(invitationToken);
      await a.expect({ 'organization.invitation_accepted': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/organizations/invitations/accept', headers: mb, payload: { token: invitationToken } }));
      await a.expect({ 'organization.member_role_changed': 1 }, () => t.app.inject({ method: 'PATCH', url: orgUrl(org.id, `/members/${member.user.id}`), headers: ob, payload: { role: 'admin' } }));
      await a.expect({ 'organization.ownership_transferred': 1 }, () => t.app.inject({ method: 'POST', url: orgUrl(org.id, '/transfer'), headers: ob, payload: { userId: member.user.id } }));
      await a.expect({ 'organization.member_left': 1 }, () => t.app.inject({ method: 'POST', url: orgUrl(org.id, '/leave'), headers: ob }));
      const second = json(await t.app.inject({ method: 'POST', url: orgUrl(org.id, '/invitations'), headers: mb, payload: { email: 'later@example.com' } }));
      await a.expect({ 'organization.invitation_revoked': 1 }, () => t.app.inject({ method: 'DELETE', url: orgUrl(org.id, `/invitations/${second.id}`), headers: mb }));
      await a.expect({ 'organization.member_added': 1 }, () => t.app.inject({ method: 'POST', url: `/admin/organizations/${org.id}/members`, headers: h, payload: { userId: owner.user.id } }));
      await a.expect({ 'organization.member_removed': 1 }, () => t.app.inject({ method: 'DELETE', url: orgUrl(org.id, `/members/${owner.user.id}`), headers: mb }));
      await a.expect({ 'organization.deleted': 1 }, () => t.app.inject({ method: 'DELETE', url: orgUrl(org.id), headers: mb }));

      // Signing out everywhere, then deleting the account.
      const s6 = await login(t.app, { email: newEmail, password: resetPassword }, 'native');
      await a.expect({ 'user.logout': 1 }, () => t.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(s6.accessToken) }));
      const s5 = await login(t.app, { email: newEmail, password: resetPassword }, 'native');
      await a.expect({ 'account.deleted': 1 }, () => t.app.inject({ method: 'DELETE', url: '/auth/me', headers: bearer(s5.accessToken) }));

      // Every type but the passkey ones (test/passkeys.browser.test.ts, a real authenticator),
      // the social sign-in ones (test/oauth.test.ts, a real OpenID Provider), the hook's
      // refusal (test/hooks.test.ts, a hook receiver) and the command line's key rotation and
      // imports (test/cli.test.ts, test/cli.import.test.ts, the real binary) was met.
      // The OpenID provider's (test/oidc.provider.test.ts: a real relying party and browser flow) too.
      const elsewhere = new Set(['user.signup_rejected', 'key.rotated', 'users.imported']);
      assert.deepEqual([...a.seen].sort(), AUDIT_EVENT_TYPES.filter((type) => !type.startsWith('passkey.') && !type.startsWith('oauth.') && !type.startsWith('oidc.') && !elsewhere.has(type)).sort());
      // No secret, code or token anywhere in the log.
      const all = JSON.stringify(await t.deps.db.selectFrom('audit_log').selectAll().execute());
      for (const s of secrets) assert.ok(!all.includes(s), 'a secret reached the audit log');
    } finally {
      await t.close();
    }
  });
});

describe('GET /admin/audit', () => {
  const clock = new ManualClock(T0);
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signUp>>;
  let user: Awaited<ReturnType<typeof signUp>>;
  const get = (q: string) => t.app.inject({ method: 'GET', url: `/admin/audit?${q}`, headers: bearer(admin.accessToken) });
  before(async () => {
    t = await createTestApp({ clock, env: { AUTH_AUDIT_RETENTION_DAYS: '30', AUTH_ACCESS_TOKEN_EXPIRY: '3h' } });
    admin = await signUp(t.app);
    clock.advance(3_600_000);
    user = await signUp(t.app);
    for (let i = 0; i < 4; i++) await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.creds.email, password: `wrong-${i}-password` } });
  });
  after(async () => { await t.close(); });

  test('filters by user, actor, types, success and time range; newest first', async () => {
    const mine = json(await get(`userId=${user.user.id}`)).entries as { type: string; userId: string; success: boolean; occurredAt: string }[];
    assert.deepEqual(mine.map((e) => e.type), ['user.login_failed', 'user.login_failed', 'user.login_failed', 'user.login_failed', 'user.login_succeeded', 'user.registered']);
    assert.ok(mine.every((e) => e.userId === user.user.id));
    const failures = json(await get('success=false')).entries as { reason: string; success: boolean }[];
    assert.equal(failures.length, 4);
    assert.ok(failures.every((e) => !e.success && e.reason === 'wrong_password'));
    assert.equal(json(await get('success=true')).entries.length, 4);
    assert.deepEqual(json(await get('type=user.registered,user.login_succeeded&userId=' + admin.user.id)).entries.map((e: { type: string }) => e.type), ['user.login_succeeded', 'user.registered']);
    assert.equal(json(await get(`actorId=${admin.user.id}`)).entries.length, 2);
    // The admin's entries are an hour before the user's.
    const cut = new Date(T0 + 1_800_000).toISOString();
    assert.equal(json(await get(`to=${cut}`)).entries.length, 2);
    assert.equal(json(await get(`from=${cut}`)).entries.length, 6);
    const first = json(await get('limit=1')).entries[0];
    assert.equal(first.actor.type, 'anonymous', 'a failed sign-in has no actor');
  });

  test('cursor pagination covers every entry once; bad filters are 400 with a code', async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page = json(await get(`limit=3${cursor ? `&cursor=${cursor}` : ''}`));
      assert.ok(page.entries.length <= 3);
      all.push(...page.entries.map((e: { id: string }) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.equal(all.length, 8);
    assert.equal(new Set(all).size, 8);
    assert.deepEqual(all, [...all].sort((x, y) => Number(y) - Number(x)), 'newest first');
    for (const q of ['type=user.nope', 'from=yesterday', 'cursor=abc', 'success=maybe', 'limit=0', 'userId=not-a-uuid']) {
      const res = await get(q);
      assert.equal(res.statusCode, 400, q);
      assert.equal(json(res).code, 'validation_failed', q);
    }
  });

  test('entries older than AUTH_AUDIT_RETENTION_DAYS are pruned', async () => {
    clock.advance(30 * 86_400_000 - 1_800_000); // the admin's entries are now past 30 days, the user's not
    // (The admin's session has ended by now: the service is asked directly.)
    assert.equal(await t.deps.audit.prune(), 2);
    assert.equal((await t.deps.audit.list({ limit: 200 })).entries.length, 6);
    clock.advance(3_600_000);
    assert.equal(await t.deps.audit.prune(), 6);
    assert.equal((await t.deps.audit.list({ limit: 200 })).entries.length, 0);
  });
});
