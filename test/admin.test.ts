// The admin API over HTTP: an authorization matrix that calls every /admin route (taken
// from the OpenAPI document, so a new route without a row here fails) as anonymous, a
// viewer, a user whose session was revoked, a disabled user, a service account and an
// admin; then the user actions themselves (list and filters, create with a set-password
// email, update, disable, delete, sessions, MFA reset, forced password reset).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, createTestApp, json, login, register, signUp, uniqueCredentials, type TestApp } from './helpers/app.ts';
import { codeOf, SmtpSink } from './helpers/smtp.ts';

let sink: SmtpSink;
before(async () => { sink = await new SmtpSink().start(); });
after(async () => { await sink.stop(); });

interface Row { method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'; route: string; url: () => string; body?: () => unknown; admin: number; service: number }

async function serviceToken(t: TestApp, admin: string, permissions: string[]): Promise<{ token: string; id: string; clientId: string; secret: string }> {
  const created = await t.app.inject({ method: 'POST', url: '/admin/service-accounts', headers: bearer(admin), payload: { name: 'matrix reader', permissions } });
  assert.equal(created.statusCode, 201, created.body);
  const { serviceAccount, clientSecret } = json(created);
  const tok = await t.app.inject({ method: 'POST', url: '/auth/token', payload: { grant_type: 'client_credentials', client_id: serviceAccount.clientId, client_secret: clientSecret } });
  assert.equal(tok.statusCode, 200, tok.body);
  return { token: json(tok).access_token, id: serviceAccount.id, clientId: serviceAccount.clientId, secret: clientSecret };
}

describe('authorization matrix of /admin', () => {
  test('every route, as anonymous, viewer, revoked session, disabled user, service account and admin', async () => {
    // The webhook registered below names a loopback address.
    const t = await createTestApp({ env: { AUTH_WEBHOOK_ALLOW_PRIVATE: 'true' } });
    try {
      const admin = await signUp(t.app);
      const viewer = await signUp(t.app);
      const revoked = await signUp(t.app);
      const me = await t.app.inject({ method: 'GET', url: '/auth/sessions/current', headers: bearer(revoked.accessToken) });
      await t.app.inject({ method: 'DELETE', url: `/auth/sessions/${json(me).id}`, headers: bearer(revoked.accessToken) });
      const disabledByApi = await signUp(t.app);
      assert.equal((await t.app.inject({ method: 'POST', url: `/admin/users/${disabledByApi.user.id}/disable`, headers: bearer(admin.accessToken) })).statusCode, 200);
      // Disabled by a direct change of the flag, its session still open: the user check refuses.
      const disabledFlag = await signUp(t.app);
      await t.deps.db.updateTable('users').set({ is_active: false }).where('id', '=', disabledFlag.user.id).execute();
      await t.deps.users.changed(disabledFlag.user.id);
      const sa = await serviceToken(t, admin.accessToken, ['users:read', 'audit:read']);

      const target = await signUp(t.app);
      const targetSession = json(await t.app.inject({ method: 'GET', url: '/auth/sessions/current', headers: bearer(target.accessToken) })).id as string;
      const fresh = uniqueCredentials('made');
      let targetSa = '';
      // Any well-formed id until the admin's turn creates the real ones.
      let hook = '00000000-0000-4000-8000-000000000000';
      let delivery = '00000000-0000-4000-8000-000000000001';
      let org = '00000000-0000-4000-8000-000000000002';
      let invitation = '00000000-0000-4000-8000-000000000003';
      const u = () => `/admin/users/${target.user.id}`;
      const rows: Row[] = [
        { method: 'GET', route: '/admin/users', url: () => '/admin/users', admin: 200, service: 200 },
        { method: 'POST', route: '/admin/users', url: () => '/admin/users', body: () => fresh, admin: 201, service: 403 },
        { method: 'GET', route: '/admin/users/{id}', url: u, admin: 200, service: 200 },
        { method: 'PATCH', route: '/admin/users/{id}', url: u, body: () => ({ metadata: { plan: 'pro' } }), admin: 200, service: 403 },
        { method: 'GET', route: '/admin/users/{id}/roles', url: () => `${u()}/roles`, admin: 200, service: 200 },
        { method: 'PUT', route: '/admin/users/{id}/roles/{role}', url: () => `${u()}/roles/moderator`, admin: 200, service: 403 },
        { method: 'DELETE', route: '/admin/users/{id}/roles/{role}', url: () => `${u()}/roles/moderator`, admin: 200, service: 403 },
        { method: 'DELETE', route: '/admin/users/{id}/sessions/{sessionId}', url: () => `${u()}/sessions/${targetSession}`, admin: 200, service: 403 },
        { method: 'DELETE', route: '/admin/users/{id}/sessions', url: () => `${u()}/sessions`, admin: 200, service: 403 },
        { method: 'POST', route: '/admin/users/{id}/mfa/reset', url: () => `${u()}/mfa/reset`, admin: 200, service: 403 },
        { method: 'POST', route: '/admin/users/{id}/unlock', url: () => `${u()}/unlock`, admin: 200, service: 403 },
        { method: 'POST', route: '/admin/users/{id}/password-reset', url: () => `${u()}/password-reset`, admin: 200, service: 403 },
        { method: 'POST', route: '/admin/users/{id}/disable', url: () => `${u()}/disable`, admin: 200, service: 403 },
        { method: 'POST', route: '/admin/users/{id}/enable', url: () => `${u()}/enable`, admin: 200, service: 403 },
        { method: 'GET', route: '/admin/permissions', url: () => '/admin/permissions', admin: 200, service: 403 },
        { method: 'POST', route: '/admin/permissions', url: () => '/admin/permissions', body: () => ({ name: 'reports:export', description: 'Export reports' }), admin: 201, service: 403 },
        { method: 'GET', route: '/admin/roles', url: () => '/admin/roles', admin: 200, service: 403 },
        { method: 'POST', route: '/admin/roles', url: () => '/admin/roles', body: () => ({ name: 'analyst', permissions: ['reports:export'] }), admin: 201, service: 403 },
        { method: 'GET', route: '/admin/roles/{name}', url: () => '/admin/roles/analyst', admin: 200, service: 403 },
        { method: 'PATCH', route: '/admin/roles/{name}', url: () => '/admin/roles/analyst', body: () => ({ description: 'Reads reports' }), admin: 200, service: 403 },
        { method: 'PUT', route: '/admin/roles/{name}/permissions/{permission}', url: () => '/admin/roles/analyst/permissions/users:read', admin: 200, service: 403 },
        { method: 'DELETE', route: '/admin/roles/{name}/permissions/{permission}', url: () => '/admin/roles/analyst/permissions/users:read', admin: 200, service: 403 },
        { method: 'PUT', route: '/admin/roles/{name}/includes/{role}', url: () => '/admin/roles/analyst/includes/viewer', admin: 200, service: 403 },
        { method: 'DELETE', route: '/admin/roles/{name}/includes/{role}', url: () => '/admin/roles/analyst/includes/viewer', admin: 200, service: 403 },
        { method: 'DELETE', route: '/admin/roles/{name}', url: () => '/admin/roles/analyst', admin: 200, service: 403 },
        { method: 'DELETE', route: '/admin/permissions/{name}', url: () => '/admin/permissions/reports:export', admin: 200, service: 403 },
        { method: 'GET', route: '/admin/service-accounts', url: () => '/admin/service-accounts', admin: 200, service: 403 },
        { method: 'POST', route: '/admin/service-accounts', url: () => '/admin/service-accounts', body: () => ({ name: 'billing' }), admin: 201, service: 403 },
        { method: 'GET', route: '/admin/service-accounts/{id}', url: () => `/admin/service-accounts/${targetSa}`, admin: 200, service: 403 },
        { method: 'PATCH', route: '/admin/service-accounts/{id}', url: () => `/admin/service-accounts/${targetSa}`, body: () => ({ description: 'Billing jobs' }), admin: 200, service: 403 },
        { method: 'POST', route: '/admin/service-accounts/{id}/secret', url: () => `/admin/service-accounts/${targetSa}/secret`, body: () => ({}), admin: 200, service: 403 },
        { method: 'DELETE', route: '/admin/service-accounts/{id}', url: () => `/admin/service-accounts/${targetSa}`, admin: 200, service: 403 },
        { method: 'GET', route: '/admin/audit', url: () => '/admin/audit', admin: 200, service: 200 },
        { method: 'GET', route: '/admin/webhooks', url: () => '/admin/webhooks', admin: 200, service: 403 },
        { method: 'POST', route: '/admin/webhooks', url: () => '/admin/webhooks', body: () => ({ url: 'http://127.0.0.1:9/hook', eventTypes: ['user.*'] }), admin: 201, service: 403 },
        { method: 'GET', route: '/admin/webhooks/{id}', url: () => `/admin/webhooks/${hook}`, admin: 200, service: 403 },
        { method: 'PATCH', route: '/admin/webhooks/{id}', url: () => `/admin/webhooks/${hook}`, body: () => ({ description: 'CRM sync' }), admin: 200, service: 403 },
        { method: 'POST', route: '/admin/webhooks/{id}/secret', url: () => `/admin/webhooks/${hook}/secret`, admin: 200, service: 403 },
        { method: 'GET', route: '/admin/webhooks/{id}/deliveries', url: () => `/admin/webhooks/${hook}/deliveries`, admin: 200, service: 403 },
        { method: 'GET', route: '/admin/webhooks/{id}/deliveries/{deliveryId}', url: () => `/admin/webhooks/${hook}/deliveries/${delivery}`, admin: 200, service: 403 },
        { method: 'POST', route: '/admin/webhooks/{id}/deliveries/{deliveryId}/replay', url: () => `/admin/webhooks/${hook}/deliveries/${delivery}/replay`, admin: 201, service: 403 },
        { method: 'DELETE', route: '/admin/webhooks/{id}', url: () => `/admin/webhooks/${hook}`, admin: 200, service: 403 },
        { method: 'GET', route: '/admin/oauth/providers', url: () => '/admin/oauth/providers', admin: 200, service: 403 },
        { method: 'PUT', route: '/admin/oauth/providers/{name}', url: () => '/admin/oauth/providers/corp', body: () => ({ kind: 'oidc', clientId: 'tessera', clientSecret: 'corp-secret', issuer: 'https://sso.example.test/realms/main' }), admin: 200, service: 403 },
        { method: 'DELETE', route: '/admin/oauth/providers/{name}', url: () => '/admin/oauth/providers/corp', admin: 200, service: 403 },
        { method: 'GET', route: '/admin/users/{id}/identities', url: () => `${u()}/identities`, admin: 200, service: 403 },
        { method: 'POST', route: '/admin/users/{id}/identities/merge', url: () => `${u()}/identities/merge`, body: () => ({ fromUserId: viewer.user.id }), admin: 200, service: 403 },
        { method: 'GET', route: '/admin/stats', url: () => '/admin/stats?days=7', admin: 200, service: 200 },
        { method: 'GET', route: '/admin/keys', url: () => '/admin/keys', admin: 200, service: 403 },
        { method: 'POST', route: '/admin/keys/rotate', url: () => '/admin/keys/rotate', admin: 200, service: 403 },
        { method: 'GET', route: '/admin/oauth-clients', url: () => '/admin/oauth-clients', admin: 200, service: 403 },
        { method: 'POST', route: '/admin/oauth-clients', url: () => '/admin/oauth-clients', body: () => ({ clientId: 'matrix-app', name: 'Matrix app', redirectUris: ['https://app.example.com/callback'] }), admin: 201, service: 403 },
        { method: 'GET', route: '/admin/oauth-clients/{clientId}', url: () => '/admin/oauth-clients/matrix-app', admin: 200, service: 403 },
        { method: 'PATCH', route: '/admin/oauth-clients/{clientId}', url: () => '/admin/oauth-clients/matrix-app', body: () => ({ name: 'Matrix application' }), admin: 200, service: 403 },
        { method: 'POST', route: '/admin/oauth-clients/{clientId}/rotate-secret', url: () => '/admin/oauth-clients/matrix-app/rotate-secret', admin: 200, service: 403 },
        { method: 'DELETE', route: '/admin/oauth-clients/{clientId}', url: () => '/admin/oauth-clients/matrix-app', admin: 204, service: 403 },
        { method: 'GET', route: '/admin/organizations', url: () => '/admin/organizations', admin: 200, service: 403 },
        { method: 'POST', route: '/admin/organizations', url: () => '/admin/organizations', body: () => ({ name: 'Matrix Org', slug: 'matrix-org', ownerId: target.user.id }), admin: 201, service: 403 },
        { method: 'GET', route: '/admin/organizations/{id}', url: () => `/admin/organizations/${org}`, admin: 200, service: 403 },
        { method: 'PATCH', route: '/admin/organizations/{id}', url: () => `/admin/organizations/${org}`, body: () => ({ name: 'Matrix Organization' }), admin: 200, service: 403 },
        { method: 'GET', route: '/admin/organizations/{id}/members', url: () => `/admin/organizations/${org}/members`, admin: 200, service: 403 },
        { method: 'POST', route: '/admin/organizations/{id}/members', url: () => `/admin/organizations/${org}/members`, body: () => ({ userId: viewer.user.id, role: 'member' }), admin: 201, service: 403 },
        { method: 'PATCH', route: '/admin/organizations/{id}/members/{userId}', url: () => `/admin/organizations/${org}/members/${viewer.user.id}`, body: () => ({ role: 'admin' }), admin: 200, service: 403 },
        { method: 'DELETE', route: '/admin/organizations/{id}/members/{userId}', url: () => `/admin/organizations/${org}/members/${viewer.user.id}`, admin: 200, service: 403 },
        { method: 'GET', route: '/admin/organizations/{id}/invitations', url: () => `/admin/organizations/${org}/invitations`, admin: 200, service: 403 },
        { method: 'POST', route: '/admin/organizations/{id}/invitations', url: () => `/admin/organizations/${org}/invitations`, body: () => ({ email: 'invitee@example.com' }), admin: 201, service: 403 },
        { method: 'DELETE', route: '/admin/organizations/{id}/invitations/{invitationId}', url: () => `/admin/organizations/${org}/invitations/${invitation}`, admin: 200, service: 403 },
        { method: 'DELETE', route: '/admin/organizations/{id}', url: () => `/admin/organizations/${org}`, admin: 200, service: 403 },
        { method: 'DELETE', route: '/admin/users/{id}', url: u, admin: 200, service: 403 },
      ];

      // Every /admin route of the OpenAPI document has its row, and no row is stale.
      const spec = t.app.swagger() as { paths: Record<string, Record<string, unknown>> };
      const documented = Object.entries(spec.paths).filter(([p]) => p.startsWith('/admin')).flatMap(([p, ops]) => Object.keys(ops).filter((m) => m !== 'head').map((m) => `${m.toUpperCase()} ${p}`)).sort();
      assert.deepEqual(rows.map((r) => `${r.method} ${r.route}`).sort(), documented);
      // Each documents its permission: the service account (users:read, audit:read) is let in exactly where it is one of those.
      for (const r of rows) {
        const op = spec.paths[r.route]![r.method.toLowerCase()] as { security: { bearerAuth: string[] }[]; description: string };
        const [permission] = op.security[0]!.bearerAuth;
        assert.ok(permission && op.description.includes(`\`${permission}\``), `${r.method} ${r.route} documents its permission`);
        assert.equal(r.service === 200, ['users:read', 'audit:read'].includes(permission), `${r.method} ${r.route} needs ${permission}`);
      }

      const call = (r: Row, token?: string) => t.app.inject({
        method: r.method, url: r.url(), ...(token ? { headers: bearer(token) } : {}), ...(r.body ? { payload: r.body() as object } : {}),
      });
      const principals: [string, string | undefined, (r: Row) => [number, string]][] = [
        ['anonymous', undefined, () => [401, 'unauthorized']],
        ['viewer', viewer.accessToken, () => [403, 'forbidden']],
        ['revoked session', revoked.accessToken, () => [401, 'session_revoked']],
        ['disabled by the admin API (its sessions ended)', disabledByApi.accessToken, () => [401, 'session_revoked']],
        ['disabled flag with a live session', disabledFlag.accessToken, () => [403, 'account_disabled']],
        ['service account (users:read, audit:read)', sa.token, (r) => [r.service, r.service === 403 ? 'forbidden' : '']],
      ];
      for (const [who, token, expected] of principals) {
        for (const r of rows) {
          const res = await call(r, token);
          const [status, code] = expected(r);
          assert.equal(res.statusCode, status, `${who}: ${r.method} ${r.route} -> ${res.body}`);
          if (code) assert.equal(json(res).code, code, `${who}: ${r.method} ${r.route}`);
        }
      }
      // The admin last, in an order where each call has something to act on.
      for (const r of rows) {
        if (r.route === '/admin/service-accounts/{id}' && r.method === 'GET') {
          targetSa = json(await t.app.inject({ method: 'GET', url: '/admin/service-accounts', headers: bearer(admin.accessToken) })).serviceAccounts.find((s: { name: string }) => s.name === 'billing').id;
        }
        if (r.route === '/admin/webhooks/{id}/deliveries/{deliveryId}' && r.method === 'GET') {
          // A change the endpoint takes (user.*) gives it a delivery; the dead letter is replayable.
          await t.app.inject({ method: 'PATCH', url: u(), headers: bearer(admin.accessToken), payload: { metadata: { plan: 'team' } } });
          const row = await t.deps.db.selectFrom('webhook_deliveries').select('id').where('endpoint_id', '=', hook).executeTakeFirstOrThrow();
          delivery = row.id;
          await t.deps.db.updateTable('webhook_deliveries').set({ status: 'dead', completed_at: new Date(), locked_until: null }).where('id', '=', delivery).execute();
        }
        const res = await call(r, admin.accessToken);
        assert.equal(res.statusCode, r.admin, `admin: ${r.method} ${r.route} -> ${res.body}`);
        if (r.route === '/admin/webhooks' && r.method === 'POST') hook = json(res).endpoint.id;
        if (r.route === '/admin/organizations' && r.method === 'POST') org = (json(res).organization ?? json(res)).id;
        if (r.route === '/admin/organizations/{id}/invitations' && r.method === 'POST') invitation = (json(res).invitation ?? json(res)).id;
      }
      assert.equal((await t.app.inject({ method: 'GET', url: u(), headers: bearer(admin.accessToken) })).statusCode, 404, 'the target user is gone');
    } finally {
      await t.close();
    }
  });
});

describe('administering users', () => {
  test('list with search, filters, sort and cursor pagination', async () => {
    const t = await createTestApp();
    try {
      const admin = await signUp(t.app);
      const made: string[] = [];
      for (let i = 0; i < 7; i++) made.push((await register(t.app, { ...uniqueCredentials(`page${i}`) })).user.id);
      const get = (q: string) => t.app.inject({ method: 'GET', url: `/admin/users?${q}`, headers: bearer(admin.accessToken) });
      // Pages of 3, newest first, cover all 8 users once.
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = json(await get(`limit=3${cursor ? `&cursor=${cursor}` : ''}`));
        assert.ok(page.users.length <= 3);
        seen.push(...page.users.map((u: { id: string }) => u.id));
        cursor = page.nextCursor;
      } while (cursor);
      assert.equal(seen.length, 8);
      assert.equal(new Set(seen).size, 8);
      assert.deepEqual(seen.slice(0, 7), [...made].reverse(), 'newest first');
      // By email ascending, in pages of 2, the order is the sorted order.
      const byEmail: string[] = [];
      cursor = null;
      do {
        const page = json(await get(`sort=email&limit=2${cursor ? `&cursor=${cursor}` : ''}`));
        byEmail.push(...page.users.map((u: { email: string }) => u.email));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(byEmail, [...byEmail].sort());
      assert.equal(byEmail.length, 8);
      // Search, role filter (default or extra role), active, verified.
      assert.deepEqual(json(await get('q=PAGE3')).users.map((u: { id: string }) => u.id), [made[3]]);
      assert.equal(json(await get('q=%25')).users.length, 0, 'LIKE wildcards are literal');
      assert.deepEqual(json(await get('role=admin')).users.map((u: { id: string }) => u.id), [admin.user.id]);
      await t.app.inject({ method: 'PUT', url: `/admin/users/${made[1]}/roles/moderator`, headers: bearer(admin.accessToken) });
      assert.deepEqual(json(await get('role=moderator')).users.map((u: { id: string }) => u.id), [made[1]]);
      await t.app.inject({ method: 'POST', url: `/admin/users/${made[2]}/disable`, headers: bearer(admin.accessToken) });
      assert.deepEqual(json(await get('active=false')).users.map((u: { id: string }) => u.id), [made[2]]);
      assert.equal(json(await get('verified=true')).users.length, 0);
      assert.equal(json(await get('mfa=true')).users.length, 0);
      assert.equal(json(await get('mfa=false')).users.length, 8);
      // Bad input is a 400 with a code.
      assert.equal(json(await get('cursor=not-a-cursor')).code, 'validation_failed');
      assert.equal(json(await get('sort=password_hash')).code, 'validation_failed');
      const mixed = json(await get('limit=2')).nextCursor as string;
      assert.equal(json(await get(`sort=email&cursor=${mixed}`)).code, 'validation_failed', 'a cursor belongs to its sort');
      assert.equal((await get('limit=1000')).statusCode, 400);
    } finally {
      await t.close();
    }
  });

  test('create without a password sends a set-password email; the link sets it and signs in', async () => {
    const t = await createTestApp({ env: { ...sink.env(), AUTH_CLIENT_URL: 'https://app.example.test' } });
    try {
      const admin = await signUp(t.app);
      const creds = uniqueCredentials('invited');
      const before = sink.messages.length;
      const res = await t.app.inject({
        method: 'POST', url: '/admin/users', headers: bearer(admin.accessToken),
        payload: { username: creds.username, email: creds.email, role: 'moderator', roles: ['user'], emailVerified: true, metadata: { team: 'ops' }, sendPasswordSetup: true },
      });
      assert.equal(res.statusCode, 201, res.body);
      const created = json(res).user;
      assert.deepEqual([created.role, created.roles, created.hasPassword, created.metadata], ['moderator', ['moderator', 'user'], false, { team: 'ops' }]);
      const mail = await sink.latest(creds.email, /Set your .* password/, before);
      assert.match(mail.text, /An administrator asks you to choose a password/);
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/password/reset', payload: { email: creds.email, code: codeOf(mail), password: creds.password } })).statusCode, 200);
      const signed = await login(t.app, creds, 'native');
      assert.equal(signed.user.role, 'moderator');
      // Policy, duplicates and unknown roles are refused with codes.
      const weak = await t.app.inject({ method: 'POST', url: '/admin/users', headers: bearer(admin.accessToken), payload: { ...uniqueCredentials('weak'), password: 'password' } });
      assert.equal(json(weak).code, 'password_too_common');
      assert.equal(json(await t.app.inject({ method: 'POST', url: '/admin/users', headers: bearer(admin.accessToken), payload: { ...uniqueCredentials('dup'), email: creds.email.toUpperCase() } })).code, 'email_taken');
      assert.equal(json(await t.app.inject({ method: 'POST', url: '/admin/users', headers: bearer(admin.accessToken), payload: { ...uniqueCredentials('r'), role: 'nope' } })).code, 'role_not_found');
      assert.equal((await t.app.inject({ method: 'POST', url: '/admin/users', headers: bearer(admin.accessToken), payload: { ...uniqueCredentials('x'), metadata: { big: 'x'.repeat(17_000) } } })).statusCode, 400);
    } finally {
      await t.close();
    }
  });

  test('update, disable (sessions end at once), enable, revoke sessions, MFA reset, forced reset, delete', async () => {
    const t = await createTestApp({ env: { ...sink.env(), AUTH_CLIENT_URL: 'https://app.example.test' } });
    try {
      const admin = await signUp(t.app);
      const victim = await signUp(t.app);
      const other = await signUp(t.app);
      const h = bearer(admin.accessToken);
      const url = `/admin/users/${victim.user.id}`;
      // Update: a new address is unverified unless said otherwise; a taken one is refused.
      const patched = json(await t.app.inject({ method: 'PATCH', url, headers: h, payload: { email: 'Renamed@Example.test', username: 'renamed_user' } }));
      assert.deepEqual([patched.user.email, patched.user.username, patched.user.emailVerified], ['renamed@example.test', 'renamed_user', false]);
      assert.equal(json(await t.app.inject({ method: 'PATCH', url, headers: h, payload: { email: other.creds.email } })).code, 'email_taken');
      assert.equal(json(await t.app.inject({ method: 'PATCH', url, headers: h, payload: { role: 'no_such_role' } })).code, 'role_not_found');
      const promoted = json(await t.app.inject({ method: 'PATCH', url, headers: h, payload: { role: 'moderator' } }));
      assert.equal(promoted.user.role, 'moderator');
      assert.ok(promoted.permissions.includes('users:read'));
      // Effective at once on server-side checks, with the same token.
      assert.equal((await t.app.inject({ method: 'GET', url: '/admin/users', headers: bearer(victim.accessToken) })).statusCode, 200);
      // Sessions: one, then all.
      const second = await login(t.app, { email: 'renamed@example.test', password: victim.creds.password }, 'native');
      const detail = json(await t.app.inject({ method: 'GET', url, headers: h }));
      assert.equal(detail.sessions.length, 2);
      assert.equal(json(await t.app.inject({ method: 'DELETE', url: `${url}/sessions/${detail.sessions[0].id}`, headers: h })).revoked, 1);
      assert.equal((await t.app.inject({ method: 'DELETE', url: `${url}/sessions/${detail.sessions[0].id}`, headers: h })).statusCode, 404);
      assert.equal(json(await t.app.inject({ method: 'DELETE', url: `${url}/sessions`, headers: h })).revoked, 1);
      assert.equal(json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(second.accessToken) })).code, 'session_revoked');
      // Disable: every session ends at once and sign-in is refused; enable restores sign-in.
      const live = await login(t.app, { email: 'renamed@example.test', password: victim.creds.password }, 'native');
      assert.equal(json(await t.app.inject({ method: 'POST', url: `${url}/disable`, headers: h })).user.active, false);
      assert.equal(json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(live.accessToken) })).code, 'session_revoked');
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: live.refreshToken } })).statusCode, 401);
      assert.equal(json(await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'renamed@example.test', password: victim.creds.password } })).code, 'account_disabled');
      await t.app.inject({ method: 'POST', url: `${url}/enable`, headers: h });
      const back = await login(t.app, { email: 'renamed@example.test', password: victim.creds.password }, 'native');
      // MFA reset: a TOTP factor goes, sign-in needs only the password again.
      await t.app.inject({ method: 'POST', url: '/auth/mfa/email', headers: bearer(back.accessToken) });
      await t.deps.db.updateTable('users').set({ email_verified: true }).where('id', '=', victim.user.id).execute();
      await t.deps.users.changed(victim.user.id);
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/mfa/email', headers: bearer(back.accessToken) })).statusCode, 200);
      assert.equal(json(await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'renamed@example.test', password: victim.creds.password } })).code, 'mfa_required');
      assert.deepEqual(json(await t.app.inject({ method: 'POST', url: `${url}/mfa/reset`, headers: h })), { factors: 1, passkeys: 0 });
      const noMfa = await login(t.app, { email: 'renamed@example.test', password: victim.creds.password }, 'native');
      // Forced reset: sessions end, a reset email arrives, sign-in answers password_expired until a new password.
      const before = sink.messages.length;
      assert.equal((await t.app.inject({ method: 'POST', url: `${url}/password-reset`, headers: h })).statusCode, 200);
      assert.equal(json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(noMfa.accessToken) })).code, 'session_revoked');
      const expired = json(await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'renamed@example.test', password: victim.creds.password } }));
      assert.equal(expired.code, 'password_expired');
      const mail = await sink.latest('renamed@example.test', /Reset your .* password/, before);
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/password/reset', payload: { email: 'renamed@example.test', code: codeOf(mail), password: 'a-new-password-77' } })).statusCode, 200);
      await login(t.app, { email: 'renamed@example.test', password: 'a-new-password-77' }, 'native');
      // Self-protection and delete.
      assert.equal(json(await t.app.inject({ method: 'POST', url: `/admin/users/${admin.user.id}/disable`, headers: h })).code, 'self_action_refused');
      assert.equal(json(await t.app.inject({ method: 'DELETE', url: `/admin/users/${admin.user.id}`, headers: h })).code, 'self_action_refused');
      assert.equal((await t.app.inject({ method: 'DELETE', url, headers: h })).statusCode, 200);
      assert.equal((await t.app.inject({ method: 'DELETE', url, headers: h })).statusCode, 404);
      assert.equal((await t.deps.db.selectFrom('sessions').select('id').where('user_id', '=', victim.user.id).execute()).length, 0, 'cascade');
      assert.equal((await t.app.inject({ method: 'GET', url: `/admin/users/not-a-uuid`, headers: h })).statusCode, 400);
    } finally {
      await t.close();
    }
  });
});
