// Isolation between organizations, as a matrix: for every organization endpoint and every
// role a caller can have in organization A (owner, admin, member) or none, a request about
// organization B is refused (404 organization_not_found: B's existence is not told) and
// changes nothing, whatever organization the caller's token has active. The same calls
// about A succeed or fail exactly as the caller's role in A says.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, createTestApp, json, signUp, type TestApp } from './helpers/app.ts';

type Role = 'owner' | 'admin' | 'member' | 'none';
interface Endpoint { name: string; method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; url: (org: string, ctx: Ctx) => string; body?: (ctx: Ctx) => unknown; allowed: Role[] }
interface Ctx { victim: string; invitation: string }

// What a role may do in its own organization (the victim is a plain member there).
const ENDPOINTS: Endpoint[] = [
  { name: 'get', method: 'GET', url: (o) => `/auth/organizations/${o}`, allowed: ['owner', 'admin', 'member'] },
  { name: 'members', method: 'GET', url: (o) => `/auth/organizations/${o}/members`, allowed: ['owner', 'admin', 'member'] },
  { name: 'update', method: 'PATCH', url: (o) => `/auth/organizations/${o}`, body: () => ({ metadata: { touched: true } }), allowed: ['owner', 'admin'] },
  { name: 'invitations list', method: 'GET', url: (o) => `/auth/organizations/${o}/invitations`, allowed: ['owner', 'admin'] },
  { name: 'invite', method: 'POST', url: (o) => `/auth/organizations/${o}/invitations`, body: () => ({ email: `m${Math.random().toString(36).slice(2)}@example.test` }), allowed: ['owner', 'admin'] },
  { name: 'revoke invitation', method: 'DELETE', url: (o, c) => `/auth/organizations/${o}/invitations/${c.invitation}`, allowed: ['owner', 'admin'] },
  { name: 'change role', method: 'PATCH', url: (o, c) => `/auth/organizations/${o}/members/${c.victim}`, body: () => ({ role: 'admin' }), allowed: ['owner', 'admin'] },
  { name: 'remove member', method: 'DELETE', url: (o, c) => `/auth/organizations/${o}/members/${c.victim}`, allowed: ['owner', 'admin'] },
  { name: 'transfer', method: 'POST', url: (o) => `/auth/organizations/${o}/transfer`, body: (c) => ({ userId: c.victim }), allowed: ['owner'] },
  { name: 'activate', method: 'POST', url: (o) => `/auth/organizations/${o}/activate`, allowed: ['owner', 'admin', 'member'] },
  { name: 'authorize in', method: 'POST', url: () => '/auth/authorize', body: () => ({ permission: 'organization:read' }), allowed: ['owner', 'admin', 'member'] },
  { name: 'leave', method: 'POST', url: (o) => `/auth/organizations/${o}/leave`, allowed: ['admin', 'member'] },
  { name: 'delete', method: 'DELETE', url: (o) => `/auth/organizations/${o}`, allowed: ['owner'] },
];
const ROLES: Role[] = ['owner', 'admin', 'member', 'none'];

describe('organizations: the cross-organization matrix', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    await signUp(t.app); // the installation's first account (admin) is not part of the matrix
  });
  after(async () => { await t?.close(); });

  const call = (method: Endpoint['method'], url: string, token: string, payload?: unknown) =>
    t.app.inject({ method, url, headers: bearer(token), ...(payload !== undefined ? { payload: payload as object } : {}) });

  /** An organization with an owner, an admin, a member and a victim (member), plus a pending invitation. */
  async function world() {
    const [owner, admin, member, victim, outsider] = await Promise.all([signUp(t.app), signUp(t.app), signUp(t.app), signUp(t.app), signUp(t.app)]);
    const org = json(await call('POST', '/auth/organizations', owner.accessToken, { name: `Org ${Math.random().toString(36).slice(2, 8)}` }));
    for (const [u, role] of [[admin, 'admin'], [member, 'member'], [victim, 'member']] as const) {
      const r = await t.app.inject({ method: 'POST', url: `/admin/organizations/${org.id}/members`, headers: bearer(await adminToken()), payload: { userId: u.user.id, role } });
      assert.equal(r.statusCode, 201, r.body);
    }
    const inv = json(await call('POST', `/auth/organizations/${org.id}/invitations`, owner.accessToken, { email: `pending${Math.random().toString(36).slice(2)}@example.test` }));
    const tokens: Record<Role, string> = { owner: owner.accessToken, admin: admin.accessToken, member: member.accessToken, none: outsider.accessToken };
    return { org, tokens, ctx: { victim: victim.user.id, invitation: inv.id } as Ctx };
  }

  let admin: string | undefined;
  async function adminToken() {
    if (admin) return admin;
    const a = await signUp(t.app);
    await t.deps.db.insertInto('user_roles').values({ user_id: a.user.id, role: 'super_admin', granted_by: null }).execute();
    await t.deps.users.changed(a.user.id);
    admin = a.accessToken;
    return admin;
  }

  async function snapshot(orgId: string) {
    const o = await t.deps.db.selectFrom('organizations').selectAll().where('id', '=', orgId).executeTakeFirst();
    const m = await t.deps.db.selectFrom('organization_members').select(['user_id', 'role']).where('organization_id', '=', orgId).orderBy('user_id').execute();
    const i = await t.deps.db.selectFrom('organization_invitations').select(['id', 'revoked_at']).where('organization_id', '=', orgId).orderBy('id').execute();
    return JSON.stringify({ o, m, i });
  }

  test('a caller of A, whatever their role and active organization, can neither read nor act on B', async () => {
    const a = await world();
    const b = await world();
    for (const role of ROLES) {
      // With A active in the token (when a member of A), and without.
      const activated = role === 'none' ? undefined : json(await call('POST', `/auth/organizations/${a.org.id}/activate`, a.tokens[role])).accessToken as string;
      for (const token of [a.tokens[role], ...(activated ? [activated] : [])]) {
        for (const e of ENDPOINTS) {
          const before = await snapshot(b.org.id);
          const url = e.url(b.org.id, b.ctx);
          const body = e.name === 'authorize in' ? { permission: 'organization:read', organization: b.org.id } : e.body?.(b.ctx);
          const res = await call(e.method, url, token, body);
          const expected = e.name === 'authorize in' ? 403 : 404;
          assert.equal(res.statusCode, expected, `${role} of A -> ${e.name} on B: ${res.body}`);
          if (expected === 404) assert.equal(json(res).code, 'organization_not_found', `${role} -> ${e.name}`);
          assert.equal(await snapshot(b.org.id), before, `${role} of A -> ${e.name} changed B`);
        }
      }
    }
    // And B's claims never reach a token of A's members.
    const member = a.tokens.member;
    const login = await call('POST', `/auth/organizations/${b.org.id}/activate`, member);
    assert.equal(login.statusCode, 404);
  });

  test('in their own organization each role gets exactly what it is allowed', async () => {
    for (const e of ENDPOINTS) {
      for (const role of ROLES) {
        // A fresh organization per call: deletions, transfers and removals do not bleed into the next.
        const w = await world();
        const body = e.name === 'authorize in' ? { permission: 'organization:read', organization: w.org.id } : e.body?.(w.ctx);
        const res = await call(e.method, e.url(w.org.id, w.ctx), w.tokens[role], body);
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        assert.equal(ok, e.allowed.includes(role), `${role} -> ${e.name}: ${res.statusCode} ${res.body}`);
        // The only owner may not leave (409); members lacking a permission get 403.
        if (!ok && role === 'owner') assert.equal(json(res).code, 'last_organization_owner', `${role} -> ${e.name}`);
        else if (!ok && role !== 'none') assert.equal(res.statusCode, 403, `${role} -> ${e.name}: ${res.body}`);
        if (!ok && role === 'none') assert.equal(res.statusCode, e.name === 'authorize in' ? 403 : 404, `${role} -> ${e.name}`);
      }
    }
  });
});
