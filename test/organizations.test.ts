// Organizations end to end: the lifecycle (create, members, roles, last owner, transfer,
// deletion), invitations delivered through a real SMTP server, the active organization
// in access tokens (verified with jose against the JWKS), the Hasura claims, events and
// audit entries.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { bearer, createTestApp, json, login, register, signUp, uniqueCredentials, type TestApp } from './helpers/app.ts';
import { linkOf, SmtpSink, tokenOf } from './helpers/smtp.ts';

const HASURA = 'https://hasura.io/jwt/claims';

describe('organizations', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let jwks: ReturnType<typeof createLocalJWKSet>;

  before(async () => {
    sink = await new SmtpSink().start();
    t = await createTestApp({ env: { ...sink.env(), AUTH_PUBLIC_URL: 'https://auth.example.test', AUTH_JWT_HASURA_ORG_ROLE: 'true' } });
    // The first account becomes the installation's admin; the tests' users come after.
    await signUp(t.app);
    const res = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    jwks = createLocalJWKSet(json(res) as JSONWebKeySet);
  });
  after(async () => {
    await t?.close();
    await sink?.stop();
  });

  const verify = async (token: string) => (await jwtVerify(token, jwks, { issuer: t.config.jwtIssuer })).payload as Record<string, any>;
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, token?: string, payload?: unknown) =>
    t.app.inject({ method, url, ...(token ? { headers: bearer(token) } : {}), ...(payload !== undefined ? { payload: payload as object } : {}) });

  async function newOrg(token: string, name = `Acme ${Math.random().toString(36).slice(2, 8)}`) {
    const res = await call('POST', '/auth/organizations', token, { name });
    assert.equal(res.statusCode, 201, res.body);
    return json(res);
  }

  test('create: the creator is the owner; the slug comes from the name and is unique', async () => {
    const owner = await signUp(t.app);
    const org = await newOrg(owner.accessToken, 'Ünïcode  Corp!');
    assert.match(org.slug, /^unicode-corp(-[0-9a-f]{6})?$/);
    const again = await call('POST', '/auth/organizations', owner.accessToken, { name: 'Other', slug: org.slug });
    assert.equal(again.statusCode, 409);
    assert.equal(json(again).code, 'organization_slug_taken');
    const bad = await call('POST', '/auth/organizations', owner.accessToken, { name: 'X', slug: '-bad-' });
    assert.equal(bad.statusCode, 400);
    const unknown = await call('POST', '/auth/organizations', owner.accessToken, { name: 'X', role: 'owner' });
    assert.equal(unknown.statusCode, 400);
    const mine = json(await call('GET', '/auth/organizations', owner.accessToken)).organizations;
    assert.deepEqual(mine.map((o: any) => [o.id, o.role]), [[org.id, 'owner']]);
    const members = json(await call('GET', `/auth/organizations/${org.id}/members`, owner.accessToken)).members;
    assert.deepEqual(members.map((m: any) => [m.userId, m.role]), [[owner.user.id, 'owner']]);
    const audit = await t.deps.db.selectFrom('audit_log').selectAll().where('type', '=', 'organization.created').where('subject_user_id', '=', owner.user.id).execute();
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.details.organizationId, org.id);
    const events = await t.deps.db.selectFrom('events').selectAll().where('subject', '=', `auth.organization.${org.id}.created`).execute();
    assert.equal(events.length, 1);
    assert.equal((events[0]!.envelope as any).data.slug, org.slug);
  });

  test('invitation by email through SMTP: accepted by the signed-in invitee, single use', async () => {
    const owner = await signUp(t.app);
    const org = await newOrg(owner.accessToken);
    const invitee = await signUp(t.app);
    const sent = sink.messages.length;
    const inv = await call('POST', `/auth/organizations/${org.id}/invitations`, owner.accessToken, { email: invitee.creds.email, role: 'admin' });
    assert.equal(inv.statusCode, 201, inv.body);
    assert.equal(json(inv).status, 'pending');
    const mail = await sink.latest(invitee.creds.email, new RegExp(org.name), sent);
    const link = linkOf(mail, 'https://auth.example.test/ui/invitation?token=');
    const token = tokenOf(link);
    // Only a hash is stored.
    const row = await t.deps.db.selectFrom('organization_invitations').selectAll().where('id', '=', json(inv).id).executeTakeFirstOrThrow();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/, link);
    assert.deepEqual(row.token_hash, createHash('sha256').update(token).digest());

    const look = await call('POST', '/auth/organizations/invitations/lookup', undefined, { token });
    assert.equal(look.statusCode, 200, look.body);
    assert.equal(json(look).organization.id, org.id);
    assert.equal(json(look).role, 'admin');

    // Someone else's account cannot use it.
    const stranger = await signUp(t.app);
    const wrong = await call('POST', '/auth/organizations/invitations/accept', stranger.accessToken, { token });
    assert.equal(wrong.statusCode, 403);
    assert.equal(json(wrong).code, 'invitation_email_mismatch');

    const mine = json(await call('GET', '/auth/organizations/invitations', invitee.accessToken)).invitations;
    assert.deepEqual(mine.map((i: any) => i.organization.id), [org.id]);
    const ok = await call('POST', '/auth/organizations/invitations/accept', invitee.accessToken, { token });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(json(ok).membership.role, 'admin');
    const twice = await call('POST', '/auth/organizations/invitations/accept', invitee.accessToken, { token });
    assert.equal(json(twice).code, 'invitation_invalid');
    const events = await t.deps.db.selectFrom('events').select('subject').where('subject', 'like', `auth.organization.${org.id}.%`).execute();
    assert.ok(events.some((e) => e.subject === `auth.organization.${org.id}.invitation_accepted`));
  });

  test('invitation to a new address creates the verified account; revoked and expired invitations are refused', async () => {
    const owner = await signUp(t.app);
    const org = await newOrg(owner.accessToken);
    const creds = uniqueCredentials('invited');
    const sent = sink.messages.length;
    await call('POST', `/auth/organizations/${org.id}/invitations`, owner.accessToken, { email: creds.email });
    const token = tokenOf(linkOf(await sink.latest(creds.email, /invited/i, sent), 'https://auth.example.test/ui/invitation?token='));
    const created = await call('POST', '/auth/organizations/invitations/sign-up', undefined, { token, username: creds.username, password: creds.password });
    assert.equal(created.statusCode, 201, created.body);
    const user = await t.deps.users.findByEmail(creds.email);
    assert.equal(user?.email_verified, true);
    // The new member signs in straight into the organization (by slug).
    const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: creds.password, organization: org.slug } });
    assert.equal(res.statusCode, 200, res.body);
    const claims = await verify(json(res).accessToken);
    assert.equal(claims.org_id, org.id);
    assert.equal(claims.org_role, 'member');

    // An existing account must sign in to accept.
    const existing = await signUp(t.app);
    const s2 = sink.messages.length;
    await call('POST', `/auth/organizations/${org.id}/invitations`, owner.accessToken, { email: existing.creds.email });
    const token2 = tokenOf(linkOf(await sink.latest(existing.creds.email, /invited/i, s2), 'https://auth.example.test/ui/invitation?token='));
    const refused = await call('POST', '/auth/organizations/invitations/sign-up', undefined, { token: token2, username: `x${Date.now()}`, password: creds.password });
    assert.equal(json(refused).code, 'invitation_sign_in_required');

    // Revoked.
    const list = json(await call('GET', `/auth/organizations/${org.id}/invitations?pending=true`, owner.accessToken)).invitations;
    const pending = list.find((i: any) => i.email === existing.creds.email.toLowerCase());
    assert.ok(pending);
    assert.equal((await call('DELETE', `/auth/organizations/${org.id}/invitations/${pending.id}`, owner.accessToken)).statusCode, 200);
    const afterRevoke = await call('POST', '/auth/organizations/invitations/accept', existing.accessToken, { token: token2 });
    assert.equal(json(afterRevoke).code, 'invitation_invalid');

    // Expired.
    const s3 = sink.messages.length;
    await call('POST', `/auth/organizations/${org.id}/invitations`, owner.accessToken, { email: existing.creds.email });
    const token3 = tokenOf(linkOf(await sink.latest(existing.creds.email, /invited/i, s3), 'https://auth.example.test/ui/invitation?token='));
    await t.deps.db.updateTable('organization_invitations').set({ expires_at: new Date(Date.now() - 1000) }).where('email', '=', existing.creds.email.toLowerCase()).where('revoked_at', 'is', null).execute();
    const expired = await call('POST', '/auth/organizations/invitations/accept', existing.accessToken, { token: token3 });
    assert.equal(json(expired).code, 'invitation_expired');
    const garbage = await call('POST', '/auth/organizations/invitations/lookup', undefined, { token: 'not-a-token' });
    assert.equal(garbage.statusCode, 400);
  });

  test('activation: new tokens carry org_id, org_role, org_permissions and the Hasura org claims; refresh keeps them; removal drops them', async () => {
    const owner = await signUp(t.app);
    const org = await newOrg(owner.accessToken);
    const member = await signUp(t.app, 'native');
    await addMember(owner.accessToken, org.id, member);

    const before = await verify(member.accessToken);
    assert.equal(before.org_id, undefined);
    assert.equal(before[HASURA]['x-hasura-org-id'], undefined);

    const act = await call('POST', `/auth/organizations/${org.id}/activate`, member.accessToken);
    assert.equal(act.statusCode, 200, act.body);
    const claims = await verify(json(act).accessToken);
    assert.equal(claims.sub, member.user.id);
    assert.equal(claims.org_id, org.id);
    assert.equal(claims.org_slug, org.slug);
    assert.equal(claims.org_role, 'member');
    assert.deepEqual(claims.org_permissions, ['organization:read']);
    assert.equal(claims[HASURA]['x-hasura-org-id'], org.id);
    assert.equal(claims[HASURA]['x-hasura-user-id'], member.user.id);
    assert.ok(claims[HASURA]['x-hasura-allowed-roles'].includes('org.member'));
    assert.equal(claims[HASURA]['x-hasura-default-role'], claims.role);

    // The session row holds it: a refresh carries it on.
    const session = await t.deps.db.selectFrom('sessions').select('organization_id').where('id', '=', claims.sid).executeTakeFirstOrThrow();
    assert.equal(session.organization_id, org.id);
    const ref = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: member.refreshToken } });
    assert.equal(ref.statusCode, 200, ref.body);
    assert.equal((await verify(json(ref).accessToken)).org_id, org.id);

    // The owner makes the member admin: the next token says so.
    await call('PATCH', `/auth/organizations/${org.id}/members/${member.user.id}`, owner.accessToken, { role: 'admin' });
    const ref2 = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: json(ref).refreshToken } });
    const adminClaims = await verify(json(ref2).accessToken);
    assert.equal(adminClaims.org_role, 'admin');
    assert.ok(adminClaims.org_permissions.includes('organization.members:manage'));

    // Removed: the next token has no organization.
    assert.equal((await call('DELETE', `/auth/organizations/${org.id}/members/${member.user.id}`, owner.accessToken)).statusCode, 200);
    const ref3 = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: json(ref2).refreshToken } });
    const gone = await verify(json(ref3).accessToken);
    assert.equal(gone.org_id, undefined);
    assert.equal(gone[HASURA]['x-hasura-org-id'], undefined);

    // Not a member any more: activation is refused as if the organization did not exist.
    const again = await call('POST', `/auth/organizations/${org.id}/activate`, json(ref3).accessToken);
    assert.equal(again.statusCode, 404);
    assert.equal(json(again).code, 'organization_not_found');
    // Nor at sign-in.
    const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: member.creds.email, password: member.creds.password, organization: org.id } });
    assert.equal(res.statusCode, 404);
  });

  test('deactivate: a token without organization', async () => {
    const owner = await signUp(t.app);
    const org = await newOrg(owner.accessToken);
    const act = json(await call('POST', `/auth/organizations/${org.id}/activate`, owner.accessToken));
    assert.equal(act.organization.role, 'owner');
    const active = json(await call('GET', '/auth/organizations/active', act.accessToken));
    assert.equal(active.organization.id, org.id);
    const off = await call('POST', '/auth/organizations/deactivate', act.accessToken);
    assert.equal(off.statusCode, 200);
    assert.equal((await verify(json(off).accessToken)).org_id, undefined);
    assert.equal(json(await call('GET', '/auth/organizations/active', act.accessToken)).organization, null);
  });

  test('the last owner cannot leave, be removed or demoted; ownership transfer; deletion', async () => {
    const owner = await signUp(t.app);
    const org = await newOrg(owner.accessToken);
    const other = await signUp(t.app);
    await addMember(owner.accessToken, org.id, other);

    const leave = await call('POST', `/auth/organizations/${org.id}/leave`, owner.accessToken);
    assert.equal(leave.statusCode, 409);
    assert.equal(json(leave).code, 'last_organization_owner');
    const demote = await call('PATCH', `/auth/organizations/${org.id}/members/${owner.user.id}`, owner.accessToken, { role: 'member' });
    assert.equal(json(demote).code, 'last_organization_owner');
    const selfRemove = await call('DELETE', `/auth/organizations/${org.id}/members/${owner.user.id}`, owner.accessToken);
    assert.equal(json(selfRemove).code, 'last_organization_owner');

    // A member cannot transfer, change roles or delete.
    assert.equal((await call('POST', `/auth/organizations/${org.id}/transfer`, other.accessToken, { userId: other.user.id })).statusCode, 403);
    assert.equal((await call('PATCH', `/auth/organizations/${org.id}/members/${other.user.id}`, other.accessToken, { role: 'owner' })).statusCode, 403);
    assert.equal((await call('DELETE', `/auth/organizations/${org.id}`, other.accessToken)).statusCode, 403);

    const transfer = await call('POST', `/auth/organizations/${org.id}/transfer`, owner.accessToken, { userId: other.user.id });
    assert.equal(transfer.statusCode, 200, transfer.body);
    const roles = Object.fromEntries(json(transfer).members.map((m: any) => [m.userId, m.role]));
    assert.deepEqual(roles, { [owner.user.id]: 'admin', [other.user.id]: 'owner' });
    // The former owner (now admin) cannot touch the new owner, nor make themselves owner.
    assert.equal(json(await call('DELETE', `/auth/organizations/${org.id}/members/${other.user.id}`, owner.accessToken)).code, 'permission_escalation');
    assert.equal(json(await call('PATCH', `/auth/organizations/${org.id}/members/${owner.user.id}`, owner.accessToken, { role: 'owner' })).code, 'permission_escalation');
    assert.equal((await call('POST', `/auth/organizations/${org.id}/leave`, owner.accessToken)).statusCode, 200);

    const act = json(await call('POST', `/auth/organizations/${org.id}/activate`, other.accessToken));
    const del = await call('DELETE', `/auth/organizations/${org.id}`, other.accessToken);
    assert.equal(del.statusCode, 200);
    assert.equal((await call('GET', `/auth/organizations/${org.id}`, other.accessToken)).statusCode, 404);
    assert.equal(json(await call('GET', '/auth/organizations/active', act.accessToken)).organization, null);
    const subjects = (await t.deps.db.selectFrom('events').select('subject').where('subject', 'like', `auth.organization.${org.id}.%`).execute()).map((e) => e.subject);
    for (const action of ['created', 'invitation_created', 'invitation_accepted', 'ownership_transferred', 'member_left', 'deleted']) {
      assert.ok(subjects.includes(`auth.organization.${org.id}.${action}`), `${action} in ${subjects}`);
    }
  });

  test('custom organization roles reuse RBAC permissions and the hierarchy; /auth/authorize answers in the organization', async () => {
    const admin = await login(t.app, await firstAdmin());
    const perm = await call('POST', '/admin/permissions', admin.accessToken, { name: 'invoices:read' });
    assert.equal(perm.statusCode, 201, perm.body);
    const role = await call('POST', '/admin/roles', admin.accessToken, { name: 'org.billing', permissions: ['invoices:read'], includes: ['org.member'] });
    assert.equal(role.statusCode, 201, role.body);
    const owner = await signUp(t.app);
    const org = await newOrg(owner.accessToken);
    const member = await signUp(t.app);
    // The owner does not hold invoices:read, so cannot grant it; an administrator can.
    const invite = await call('POST', `/auth/organizations/${org.id}/invitations`, owner.accessToken, { email: member.creds.email, role: 'billing' });
    assert.equal(json(invite).code, 'permission_escalation');
    const added = await call('POST', `/admin/organizations/${org.id}/members`, admin.accessToken, { userId: member.user.id, role: 'billing' });
    assert.equal(added.statusCode, 201, added.body);
    const roles = json(await call('GET', '/auth/organizations/roles', member.accessToken)).roles;
    assert.deepEqual(roles.find((r: any) => r.name === 'billing').permissions, ['invoices:read', 'organization:read']);

    // Without an active organization the permission is not the user's.
    assert.equal((await call('POST', '/auth/authorize', member.accessToken, { permission: 'invoices:read' })).statusCode, 403);
    const inOrg = await call('POST', '/auth/authorize', member.accessToken, { permission: 'invoices:read', organization: org.id });
    assert.equal(inOrg.statusCode, 200);
    assert.equal(json(inOrg).organization, org.id);
    const act = json(await call('POST', `/auth/organizations/${org.id}/activate`, member.accessToken));
    const viaActive = await call('POST', '/auth/authorize', act.accessToken, { permission: 'invoices:read' });
    assert.equal(viaActive.statusCode, 200);
    assert.equal(json(viaActive).organization, org.id);
    const perms = json(await call('GET', '/auth/permissions', act.accessToken));
    assert.equal(perms.organization.id, org.id);
    assert.ok(!perms.permissions.includes('invoices:read'));
    // Organization permissions never open the admin API.
    assert.equal((await call('GET', '/admin/users', act.accessToken)).statusCode, 403);
    // A role some member holds cannot be deleted.
    const del = await call('DELETE', '/admin/roles/org.billing', admin.accessToken);
    assert.equal(del.statusCode, 409);
    assert.equal(json(del).code, 'role_in_use');
  });

  test('admin API: create with an owner, list, members, invitations; needs the permission', async () => {
    const admin = await login(t.app, await firstAdmin());
    const user = await signUp(t.app);
    const created = await call('POST', '/admin/organizations', admin.accessToken, { name: 'Admin Made', ownerId: user.user.id, metadata: { plan: 'pro' } });
    assert.equal(created.statusCode, 201, created.body);
    const id = json(created).id;
    const list = json(await call('GET', '/admin/organizations?search=admin%20made', admin.accessToken));
    assert.ok(list.organizations.some((o: any) => o.id === id && o.memberCount === 1));
    const other = await signUp(t.app);
    const add = await call('POST', `/admin/organizations/${id}/members`, admin.accessToken, { userId: other.user.id, role: 'admin' });
    assert.equal(add.statusCode, 201, add.body);
    assert.equal((await call('POST', `/admin/organizations/${id}/members`, admin.accessToken, { userId: other.user.id })).statusCode, 409);
    const members = json(await call('GET', `/admin/organizations/${id}/members`, admin.accessToken)).members;
    assert.equal(members.length, 2);
    assert.equal(json(await call('DELETE', `/admin/organizations/${id}/members/${user.user.id}`, admin.accessToken)).code, 'last_organization_owner');
    const inv = await call('POST', `/admin/organizations/${id}/invitations`, admin.accessToken, { email: 'someone@example.test' });
    assert.equal(inv.statusCode, 201);
    assert.equal(json(await call('GET', `/admin/organizations/${id}/invitations`, admin.accessToken)).invitations.length, 1);
    assert.equal((await call('PATCH', `/admin/organizations/${id}`, admin.accessToken, { name: 'Renamed' })).statusCode, 200);
    // An ordinary user has no admin access.
    assert.equal((await call('GET', '/admin/organizations', user.accessToken)).statusCode, 403);
    assert.equal((await call('DELETE', `/admin/organizations/${id}`, admin.accessToken)).statusCode, 200);
    assert.equal((await call('GET', `/admin/organizations/${id}`, admin.accessToken)).statusCode, 404);
  });

  let adminCreds: { email: string; password: string } | undefined;
  async function firstAdmin() {
    if (adminCreds) return adminCreds;
    const creds = uniqueCredentials('orgadmin');
    await register(t.app, creds);
    const u = (await t.deps.users.findByEmail(creds.email))!;
    await t.deps.db.insertInto('user_roles').values({ user_id: u.id, role: 'super_admin', granted_by: null }).execute();
    await t.deps.users.changed(u.id);
    adminCreds = creds;
    return creds;
  }

  /** Invites and accepts: the way a user joins through the API. */
  async function addMember(ownerToken: string, orgId: string, member: { creds: { email: string }; accessToken: string }, role = 'member') {
    const email = member.creds.email;
    const sent = sink.messages.length;
    const inv = await call('POST', `/auth/organizations/${orgId}/invitations`, ownerToken, { email, role });
    assert.equal(inv.statusCode, 201, inv.body);
    const token = tokenOf(linkOf(await sink.latest(email, /invited/i, sent), 'https://auth.example.test/ui/invitation?token='));
    const accepted = await call('POST', '/auth/organizations/invitations/accept', member.accessToken, { token });
    assert.equal(accepted.statusCode, 200, accepted.body);
  }
});
