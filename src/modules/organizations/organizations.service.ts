// Organizations and their members. The rules, in the order a change checks them:
//   - a caller acts in an organization only as a member of it (anyone else learns
//     nothing: organization_not_found), with the organization permissions of their role;
//   - nobody grants, in an organization, a role with permissions they do not hold there,
//     nor changes or removes a member whose role holds more than theirs (no escalation);
//   - an organization keeps at least one owner: the last owner cannot leave, be removed
//     or be demoted (ownership is transferred first);
//   - a member who leaves or is removed loses the organization as the active one of every
//     session, and the user's cached claims are dropped on every instance.
// Administrators (the admin API, the CLI) act through the same functions with `admin`
// acting: their global permission was checked by the route, and acting on a user needs
// every permission of that user (rbac assertMayActOn).
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createKeyedCache } from '../../core/cache/keyed-cache.ts';
import type { InvalidationBus } from '../../core/cache/invalidation-bus.ts';
import type { Clock } from '../../core/clock.ts';
import { isUniqueViolation } from '../../core/db/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database, Db } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import { allows, ROLE_NAME, type Caller, type RbacService } from '../rbac/index.ts';
import { activeOrganizationOf, clearActiveOrganization, setActiveOrganization } from '../sessions/index.ts';
import { namesOf, userExists } from '../users/index.ts';
import * as repo from './organizations.repo.ts';
import type { MemberRow, OrganizationRow } from './organizations.table.ts';

/** The built-in organization roles (RBAC roles). */
export const ORG_OWNER = 'org.owner';
export const ORG_ADMIN = 'org.admin';
export const ORG_MEMBER = 'org.member';
export const ORG_ROLE_PREFIX = 'org.';
export const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;

/** The active organization as tokens carry it. */
export interface OrganizationClaims {
  id: string;
  slug: string;
  /** The organization role without its `org.` prefix (`owner`, `admin`, `member`, custom). */
  role: string;
  /** Effective permissions of the role (through included roles), sorted. */
  permissions: string[];
}

/** Who acts: a member through the user API, or an administrator (admin API, CLI). */
export type Acting = { kind: 'member'; userId: string } | { kind: 'admin'; caller: Caller };

export interface OrganizationsServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** Drops the per-instance "member of any organization" flag with the user's other cached rows. */
  bus: InvalidationBus;
  audit: AuditRecorder;
  rbac: Pick<RbacService, 'permissionsOfRoles' | 'permissionsOfRolesIn' | 'assertMayActOn' | 'listRoles'>;
  /** Announces that a user's claims changed (drops cached users everywhere). */
  userChanged: (id: string) => Promise<void>;
  settings: { userCreate: boolean };
}

/** `admin` -> `org.admin`; `org.admin` stays. */
export function orgRoleName(role: string): string {
  return role.startsWith(ORG_ROLE_PREFIX) ? role : `${ORG_ROLE_PREFIX}${role}`;
}
/** `org.admin` -> `admin`. */
export const shortRole = (role: string) => (role.startsWith(ORG_ROLE_PREFIX) ? role.slice(ORG_ROLE_PREFIX.length) : role);

export function presentOrganization(o: OrganizationRow) {
  return { id: o.id, name: o.name, slug: o.slug, logoUrl: o.logo_url, metadata: o.metadata ?? {}, createdAt: o.created_at.toISOString(), updatedAt: o.updated_at.toISOString() };
}

/** A member with the user's name and address (the users module keeps those). */
export type MemberView = MemberRow & { username: string; email: string | null };

/** The members of an organization, oldest first, with their users' names and addresses. */
async function membersWithNames(on: Db, organizationId: string): Promise<MemberView[]> {
  const members = await repo.listMembers(on, organizationId);
  const names = new Map((await namesOf(on, members.map((m) => m.user_id))).map((u) => [u.id, u]));
  return members.flatMap((m) => {
    const u = names.get(m.user_id);
    return u ? [{ ...m, username: u.username, email: u.email }] : [];
  });
}

export function presentMember(m: MemberView) {
  return { userId: m.user_id, username: m.username, email: m.email, role: shortRole(m.role), joinedAt: m.created_at.toISOString() };
}

function slugFrom(name: string): string {
  const s = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '');
  return s || 'org';
}

export function createOrganizationsService(deps: OrganizationsServiceDeps) {
  const { db, clock, audit, rbac } = deps;
  const now = () => new Date(clock.now());
  // Whether a user belongs to any organization, per instance: most users belong to none,
  // and their tokens then need no read of the session's active organization.
  const memberOfAny = createKeyedCache<boolean>({ bus: deps.bus, clock, kind: 'user' });

  // ---- access ----------------------------------------------------------------------

  /** A member's role and effective organization permissions; undefined for a non-member. */
  async function accessIn(organizationId: string, userId: string, on: Db = db): Promise<{ member: MemberRow; permissions: Set<string> } | undefined> {
    if (!UUID.test(organizationId)) return undefined;
    const member = await repo.findMember(on, organizationId, userId);
    if (!member) return undefined;
    return { member, permissions: new Set(await rbac.permissionsOfRoles([member.role])) };
  }

  /** The organization a member acts in: organization_not_found for anyone else (existence is not told). */
  async function requireMember(organizationId: string, userId: string, on: Db = db) {
    const a = await accessIn(organizationId, userId, on);
    if (!a) throw new AppError('organization_not_found');
    return a;
  }

  /** A member holding `permission` in the organization (forbidden otherwise). */
  async function requirePermission(acting: Acting, organizationId: string, permission: string, on: Db = db): Promise<Set<string> | undefined> {
    if (acting.kind === 'admin') {
      if (!(await repo.findOrganization(on, organizationId))) throw new AppError('organization_not_found');
      return undefined;
    }
    const a = await requireMember(organizationId, acting.userId, on);
    if (!allows(a.permissions, permission)) throw new AppError('forbidden', { details: { permission, organization: organizationId } });
    return a.permissions;
  }

  /** The organization role named by a client (`admin` or `org.admin`), which must exist. */
  async function requireOrgRole(on: Db, role: string): Promise<{ name: string; permissions: string[] }> {
    const name = orgRoleName(role);
    if (!ROLE_NAME.test(name)) throw new AppError('role_not_found', { details: { role } });
    return { name, permissions: await rbac.permissionsOfRolesIn(on, [name]) };
  }

  /** No escalation: the acting member holds every permission in `needed` (admins: their global rule). */
  function assertHoldsIn(held: Set<string> | undefined, needed: Iterable<string>): void {
    if (!held) return;
    for (const p of needed) if (!allows(held, p)) throw new AppError('permission_escalation', { details: { permission: p } });
  }

  async function actorUserChecks(acting: Acting, userId: string, on: Db): Promise<Record<string, unknown>> {
    return acting.kind === 'admin' ? rbac.assertMayActOn(acting.caller, userId, on) : {};
  }

  const actorOf = (acting: Acting) => (acting.kind === 'admin' ? acting.caller.actor : { type: 'user' as const, id: acting.userId });
  const actingUser = (acting: Acting) => (acting.kind === 'admin' ? acting.caller.userId ?? null : acting.userId);

  /** The last-owner rule, checked in the change's transaction after the change. */
  async function assertOwnerRemains(trx: Db, organizationId: string): Promise<void> {
    if ((await repo.countWithRoles(trx, organizationId, [ORG_OWNER])) === 0) throw new AppError('last_organization_owner');
  }

  // ---- organizations ---------------------------------------------------------------

  async function create(acting: Acting, input: { name: string; slug?: string | undefined; logoUrl?: string | null | undefined; metadata?: Record<string, unknown> | undefined; ownerId?: string | undefined }) {
    if (acting.kind === 'member' && !deps.settings.userCreate) throw new AppError('organization_creation_disabled');
    const ownerId = acting.kind === 'member' ? acting.userId : input.ownerId;
    const name = input.name.trim();
    if (!name) throw new AppError('validation_failed', { details: [{ field: 'name', message: 'must not be blank' }] });
    if (input.slug !== undefined && !SLUG.test(input.slug)) throw new AppError('validation_failed', { details: [{ field: 'slug', message: 'lower-case letters, digits and dashes (1 to 48), not starting or ending with a dash' }] });
    const id = randomUUID();
    for (let attempt = 0; ; attempt++) {
      const slug = input.slug ?? (attempt === 0 ? slugFrom(name) : `${slugFrom(name)}-${randomBytes(3).toString('hex')}`);
      try {
        const row = await db.transaction().execute(async (trx) => {
          const extra = ownerId ? await actorUserChecks(acting, ownerId, trx) : {};
          if (ownerId && !(await userExists(trx, ownerId))) throw new AppError('not_found');
          const at = now();
          const o = await repo.insertOrganization(trx, { id, name, slug, logo_url: input.logoUrl ?? null, metadata: input.metadata ?? {}, created_by: actingUser(acting), created_at: at });
          if (ownerId) await repo.insertMember(trx, { organization_id: id, user_id: ownerId, role: ORG_OWNER, created_at: at });
          await audit(trx, { type: 'organization.created', subject: ownerId ?? null, actor: actorOf(acting), details: { organizationId: id, name, slug, ownerId: ownerId ?? null, ...extra } });
          return o;
        });
        if (ownerId) await deps.userChanged(ownerId);
        return presentOrganization(row);
      } catch (err) {
        if (!isUniqueViolation(err, 'organizations_slug_key')) throw err;
        if (input.slug !== undefined || attempt >= 3) throw new AppError('organization_slug_taken');
      }
    }
  }

  async function get(acting: Acting, organizationId: string) {
    await requirePermission(acting, organizationId, 'organization:read');
    const o = await repo.findOrganization(db, organizationId);
    if (!o) throw new AppError('organization_not_found');
    return presentOrganization(o);
  }

  async function update(acting: Acting, organizationId: string, input: { name?: string; slug?: string; logoUrl?: string | null; metadata?: Record<string, unknown> }) {
    if (input.slug !== undefined && !SLUG.test(input.slug)) throw new AppError('validation_failed', { details: [{ field: 'slug', message: 'lower-case letters, digits and dashes (1 to 48), not starting or ending with a dash' }] });
    if (input.name !== undefined && !input.name.trim()) throw new AppError('validation_failed', { details: [{ field: 'name', message: 'must not be blank' }] });
    try {
      const row = await db.transaction().execute(async (trx) => {
        await requirePermission(acting, organizationId, 'organization:update', trx);
        const before = await repo.lockOrganization(trx, organizationId);
        if (!before) throw new AppError('organization_not_found');
        const set = {
          ...(input.name !== undefined ? { name: input.name.trim() } : {}), ...(input.slug !== undefined ? { slug: input.slug } : {}),
          ...(input.logoUrl !== undefined ? { logo_url: input.logoUrl } : {}), ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
        };
        const after = (await repo.updateOrganization(trx, organizationId, set, now()))!;
        await audit(trx, { type: 'organization.updated', actor: actorOf(acting), details: { organizationId, changed: Object.keys(input), ...(input.slug !== undefined ? { slug: input.slug } : {}), ...(input.name !== undefined ? { name: after.name } : {}) } });
        return after;
      });
      // The slug is in the tokens of members who have it active.
      if (input.slug !== undefined) for (const id of await repo.memberIds(db, organizationId)) await deps.userChanged(id);
      return presentOrganization(row);
    } catch (err) {
      if (isUniqueViolation(err, 'organizations_slug_key')) throw new AppError('organization_slug_taken');
      throw err;
    }
  }

  async function remove(acting: Acting, organizationId: string): Promise<void> {
    const members = await db.transaction().execute(async (trx) => {
      await requirePermission(acting, organizationId, 'organization:delete', trx);
      const o = await repo.lockOrganization(trx, organizationId);
      if (!o) throw new AppError('organization_not_found');
      const ids = await repo.memberIds(trx, organizationId);
      await repo.deleteOrganization(trx, organizationId);
      await audit(trx, { type: 'organization.deleted', actor: actorOf(acting), details: { organizationId, name: o.name, slug: o.slug, members: ids.length } });
      return ids;
    });
    for (const id of members) await deps.userChanged(id);
  }

  /** The user's organizations with their role in each. */
  async function listMine(userId: string) {
    return (await repo.organizationsOfUser(db, userId)).map((o) => ({ ...presentOrganization(o), role: shortRole(o.role), joinedAt: o.joined_at.toISOString() }));
  }

  async function list(opts: { search?: string | undefined; limit: number; offset: number }) {
    const { rows, total } = await repo.listOrganizations(db, opts);
    return { organizations: rows.map((o) => ({ ...presentOrganization(o), memberCount: o.member_count })), total };
  }

  // ---- members ---------------------------------------------------------------------

  async function listMembers(acting: Acting, organizationId: string) {
    await requirePermission(acting, organizationId, 'organization:read');
    return (await membersWithNames(db, organizationId)).map(presentMember);
  }

  async function memberView(organizationId: string, userId: string) {
    const m = (await membersWithNames(db, organizationId)).find((r) => r.user_id === userId);
    if (!m) throw new AppError('organization_member_not_found');
    return presentMember(m);
  }

  /** Adds a member (administrators; invitations and domain joins go through `join`). */
  async function addMember(acting: Acting & { kind: 'admin' }, organizationId: string, userId: string, role: string = ORG_MEMBER) {
    await db.transaction().execute(async (trx) => {
      if (!(await repo.lockOrganization(trx, organizationId))) throw new AppError('organization_not_found');
      const extra = await actorUserChecks(acting, userId, trx);
      if (!(await userExists(trx, userId))) throw new AppError('not_found');
      const r = await requireOrgRole(trx, role);
      if (!(await repo.insertMember(trx, { organization_id: organizationId, user_id: userId, role: r.name, created_at: now() }))) throw new AppError('organization_member_exists');
      await audit(trx, { type: 'organization.member_added', subject: userId, actor: actorOf(acting), details: { organizationId, userId, role: shortRole(r.name), ...extra } });
    });
    await deps.userChanged(userId);
    return memberView(organizationId, userId);
  }

  /** Joins a user inside the caller's transaction (an accepted invitation); false when already a member. */
  async function joinIn(trx: Db, organizationId: string, userId: string, role: string): Promise<boolean> {
    return repo.insertMember(trx, { organization_id: organizationId, user_id: userId, role, created_at: now() });
  }

  /** The steps before changing or removing a member: the caller's right, the locks, the member, the actor's own checks. */
  async function lockMemberToManage(trx: Db, acting: Acting, organizationId: string, userId: string) {
    const held = await requirePermission(acting, organizationId, 'organization.members:manage', trx);
    if (!(await repo.lockOrganization(trx, organizationId))) throw new AppError('organization_not_found');
    const target = await repo.lockMember(trx, organizationId, userId);
    if (!target) throw new AppError('organization_member_not_found');
    const extra = await actorUserChecks(acting, userId, trx);
    return { held, target, extra };
  }

  async function updateMemberRole(acting: Acting, organizationId: string, userId: string, role: string) {
    await db.transaction().execute(async (trx) => {
      const { held, target, extra } = await lockMemberToManage(trx, acting, organizationId, userId);
      const next = await requireOrgRole(trx, role);
      if (target.role === next.name) return;
      // Both the member's current role and the new one are within what the caller holds.
      assertHoldsIn(held, [...(await rbac.permissionsOfRolesIn(trx, [target.role])), ...next.permissions]);
      await repo.setMemberRole(trx, organizationId, userId, next.name, now());
      await assertOwnerRemains(trx, organizationId);
      await audit(trx, { type: 'organization.member_role_changed', subject: userId, actor: actorOf(acting), details: { organizationId, userId, from: shortRole(target.role), to: shortRole(next.name), ...extra } });
    });
    await deps.userChanged(userId);
    return memberView(organizationId, userId);
  }

  async function removeMember(acting: Acting, organizationId: string, userId: string): Promise<void> {
    if (acting.kind === 'member' && acting.userId === userId) return leave(userId, organizationId);
    await db.transaction().execute(async (trx) => {
      const { held, target, extra } = await lockMemberToManage(trx, acting, organizationId, userId);
      assertHoldsIn(held, await rbac.permissionsOfRolesIn(trx, [target.role]));
      await repo.deleteMember(trx, organizationId, userId);
      await assertOwnerRemains(trx, organizationId);
      await clearActiveOrganization(trx, organizationId, userId);
      await audit(trx, { type: 'organization.member_removed', subject: userId, actor: actorOf(acting), details: { organizationId, userId, role: shortRole(target.role), ...extra } });
    });
    await deps.userChanged(userId);
  }

  async function leave(userId: string, organizationId: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await requireMember(organizationId, userId, trx);
      if (!(await repo.lockOrganization(trx, organizationId))) throw new AppError('organization_not_found');
      const me = (await repo.lockMember(trx, organizationId, userId))!;
      await repo.deleteMember(trx, organizationId, userId);
      await assertOwnerRemains(trx, organizationId);
      await clearActiveOrganization(trx, organizationId, userId);
      await audit(trx, { type: 'organization.member_left', subject: userId, actor: { type: 'user', id: userId }, details: { organizationId, userId, role: shortRole(me.role) } });
    });
    await deps.userChanged(userId);
  }

  /** The caller (an owner) makes another member owner and becomes admin. */
  async function transferOwnership(userId: string, organizationId: string, toUserId: string) {
    await db.transaction().execute(async (trx) => {
      await requirePermission({ kind: 'member', userId }, organizationId, 'organization:transfer', trx);
      if (toUserId === userId) throw new AppError('validation_failed', { details: [{ field: 'userId', message: 'is already you' }] });
      if (!(await repo.lockOrganization(trx, organizationId))) throw new AppError('organization_not_found');
      const me = await repo.lockMember(trx, organizationId, userId);
      const target = await repo.lockMember(trx, organizationId, toUserId);
      if (!target) throw new AppError('organization_member_not_found');
      const at = now();
      await repo.setMemberRole(trx, organizationId, toUserId, ORG_OWNER, at);
      if (me?.role === ORG_OWNER) await repo.setMemberRole(trx, organizationId, userId, ORG_ADMIN, at);
      await assertOwnerRemains(trx, organizationId);
      await audit(trx, { type: 'organization.ownership_transferred', subject: toUserId, actor: { type: 'user', id: userId }, details: { organizationId, from: userId, to: toUserId } });
    });
    await deps.userChanged(userId);
    await deps.userChanged(toUserId);
    return listMembers({ kind: 'member', userId: toUserId }, organizationId);
  }

  // ---- the active organization -----------------------------------------------------

  /** Claims of a member's organization (id or slug); organization_not_found for a non-member. */
  async function claimsFor(userId: string, idOrSlug: string, on: Db = db): Promise<OrganizationClaims> {
    const o = UUID.test(idOrSlug) ? await repo.findOrganization(on, idOrSlug) : SLUG.test(idOrSlug) ? await repo.findOrganizationBySlug(on, idOrSlug) : undefined;
    const m = o ? await repo.findMember(on, o.id, userId) : undefined;
    if (!o || !m) throw new AppError('organization_not_found');
    return { id: o.id, slug: o.slug, role: shortRole(m.role), permissions: await rbac.permissionsOfRoles([m.role]) };
  }

  /** The session's active organization, as long as the user is still a member of it. */
  async function activeClaims(userId: string, sessionId: string): Promise<OrganizationClaims | null> {
    if (!(await memberOfAny.get(userId, () => repo.hasMemberships(db, userId)))) return null;
    const active = await activeOrganizationOf(db, sessionId, userId);
    const a = active ? await repo.membershipWithSlug(db, active, userId) : undefined;
    if (!a) return null;
    return { id: a.organization_id, slug: a.slug, role: shortRole(a.role), permissions: await rbac.permissionsOfRoles([a.role]) };
  }

  /** Records (or clears, with null) the active organization of a session; the member check is the caller's (claimsFor). */
  async function setActive(userId: string, sessionId: string, organizationId: string | null): Promise<void> {
    if (!(await setActiveOrganization(db, sessionId, userId, organizationId))) throw new AppError('session_revoked');
  }

  /** Whether a user may do `permission` in an organization now (the server-side check). */
  async function can(userId: string, organizationId: string, permission: string): Promise<boolean> {
    const a = await accessIn(organizationId, userId);
    return Boolean(a && allows(a.permissions, permission));
  }

  /** An organization by id or slug, with its member count (administrators: CLI, dashboard). */
  async function find(ref: string) {
    const o = UUID.test(ref) ? await repo.findOrganization(db, ref.toLowerCase()) : SLUG.test(ref) ? await repo.findOrganizationBySlug(db, ref) : undefined;
    if (!o) return undefined;
    return { ...presentOrganization(o), memberCount: (await repo.memberIds(db, o.id)).length };
  }

  /** The organization roles (RBAC roles named `org.*`), for clients and the dashboard. */
  async function roles() {
    return (await rbac.listRoles()).filter((r) => r.name.startsWith(ORG_ROLE_PREFIX))
      .map((r) => ({ name: shortRole(r.name), role: r.name, description: r.description, builtIn: r.builtIn, permissions: r.effectivePermissions }));
  }

  return {
    create, get, update, remove, listMine, list, find, listMembers, addMember, joinIn, updateMemberRole, removeMember, leave, transferOwnership,
    claimsFor, activeClaims, setActive, can, roles, accessIn, requirePermission, requireOrgRole, assertHoldsIn, memberView,
    /** True only when this instance knows the user belongs to no organization (no promise). */
    noneCached: (userId: string) => memberOfAny.peek(userId) === false,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type OrganizationsService = ReturnType<typeof createOrganizationsService>;
