// Roles and permissions: the graph (roles grant permissions and include other roles),
// the roles of users, and every change to them. Rules that keep an installation safe:
//   - no cycles between roles;
//   - nobody grants what they do not hold (a role, a permission, an included role),
//     nor acts on a user who holds what they do not (assertMayActOn);
//   - built-in permissions and roles stay, and super_admin keeps every permission;
//   - an admin cannot take away their own last admin role, and the last active
//     super_admin cannot be removed, disabled or deleted.
// Effective permissions are cached per instance and dropped on every instance through
// the invalidation bus, so that a change applies at once to server-side checks.
import type { Kysely } from 'kysely';
import { createKeyedCache } from '../../core/cache/keyed-cache.ts';
import type { InvalidationBus } from '../../core/cache/invalidation-bus.ts';
import type { Clock } from '../../core/clock.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Actor } from '../../core/http/index.ts';
import type { Database, Db } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import * as repo from './rbac.repo.ts';
import type { RoleRow } from './rbac.table.ts';

export const SUPER_ADMIN = 'super_admin';
export const ADMIN = 'admin';
export const ROLE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,62}$/;
export const PERMISSION_NAME = /^[a-z][a-z0-9_.-]{0,62}:([a-z][a-z0-9_.-]{0,62}|\*)$/;

/** Who is changing something, with what they hold (for the no-escalation rule). */
export interface Caller {
  actor: Actor;
  permissions: ReadonlySet<string>;
  /** The calling user, when a user calls. */
  userId?: string;
  /**
   * The operator at the command line: not bound by the last-super-admin guard, which
   * keeps administrators from locking everyone out of the admin API (the operator can
   * always grant the role again, and must be able to act before any admin exists).
   */
  operator?: boolean;
}

export interface Access {
  /** Default role first. */
  roles: string[];
  /** Effective permissions (through included roles), sorted. */
  permissions: string[];
}

interface Graph {
  roles: Map<string, RoleRow>;
  grants: Map<string, string[]>;
  includes: Map<string, string[]>;
}

/** True when a permission set allows `p`: itself, `resource:*`, or `*`. */
export function allows(held: ReadonlySet<string>, p: string): boolean {
  if (held.has('*') || held.has(p)) return true;
  const colon = p.indexOf(':');
  return colon > 0 && held.has(`${p.slice(0, colon)}:*`);
}

export interface RbacServiceDeps {
  db: Kysely<Database>;
  bus: InvalidationBus;
  clock: Clock;
  audit: AuditRecorder;
  /** Announces that a user's row or roles changed (drops cached users everywhere). */
  userChanged: (id: string) => Promise<void>;
}

export function createRbacService(deps: RbacServiceDeps) {
  const { db, bus, audit } = deps;
  let graph: Graph | undefined;
  let epoch = 0;
  bus.subscribe((m) => { if (m.kind === 'rbac') { epoch++; graph = undefined; } });
  bus.onReset(() => { epoch++; graph = undefined; });
  const userRoles = createKeyedCache<string[]>({ bus, clock: deps.clock, kind: 'user' });

  async function loadGraph(on: Db = db): Promise<Graph> {
    if (graph && on === db && bus.connected()) return graph;
    const seen = epoch;
    const rows = await repo.loadGraph(on);
    const g: Graph = { roles: new Map(rows.roles.map((r) => [r.name, r])), grants: new Map(), includes: new Map() };
    for (const r of rows.grants) g.grants.set(r.role, [...(g.grants.get(r.role) ?? []), r.permission]);
    for (const r of rows.includes) g.includes.set(r.role, [...(g.includes.get(r.role) ?? []), r.includes]);
    if (on === db && seen === epoch && bus.connected()) graph = g;
    return g;
  }

  /** Every role reachable from `roles` through inclusion, themselves included. */
  function closure(g: Graph, roles: Iterable<string>): Set<string> {
    const out = new Set<string>();
    const stack = [...roles];
    while (stack.length) {
      const r = stack.pop()!;
      if (out.has(r) || !g.roles.has(r)) continue;
      out.add(r);
      stack.push(...(g.includes.get(r) ?? []));
    }
    return out;
  }

  function permissionsOf(g: Graph, roles: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const r of closure(g, roles)) for (const p of g.grants.get(r) ?? []) out.add(p);
    return out;
  }

  const changedGraph = () => bus.publish({ kind: 'rbac', id: '*' });
  const rolesOf = (userId: string) => userRoles.get(userId, async () => {
    const roles = await repo.rolesOfUser(db, userId);
    return roles.length ? roles : undefined;
  }).then((r) => r ?? []);

  /** accessOf without a promise, when the role graph and the user's roles are cached and current. */
  function accessCached(userId: string): Access | undefined {
    const roles = graph && bus.connected() ? userRoles.peek(userId) : undefined;
    return roles && graph ? { roles, permissions: [...permissionsOf(graph, roles)].sort() } : undefined;
  }

  /** A user's roles and effective permissions (cached; current on every instance). */
  async function accessOf(userId: string): Promise<Access> {
    const [roles, g] = await Promise.all([rolesOf(userId), loadGraph()]);
    return { roles, permissions: [...permissionsOf(g, roles)].sort() };
  }

  function assertHolds(caller: Caller, needed: Iterable<string>): void {
    for (const p of needed) {
      if (!allows(caller.permissions, p)) throw new AppError('permission_escalation', { details: { permission: p } });
    }
  }

  /**
   * The rule of acting on a user (change their email or password, reset their factors,
   * end their sessions, disable, delete, change their roles...): the caller holds every
   * effective permission of that user, `*` included, so that nobody takes over an account
   * that can do more than they can. Acting on oneself passes. The operator at the command
   * line skips the rule; the answer says so, to be spread into the audit entry's details.
   * Inside a change, call it on the transaction after lockGraph, so that a role granted
   * meanwhile is seen.
   */
  async function assertMayActOn(caller: Caller, userId: string, on: Db = db): Promise<{ bypass?: 'cli_operator' }> {
    if (caller.operator) return { bypass: 'cli_operator' };
    if (caller.userId === userId) return {};
    assertHolds(caller, permissionsOf(await loadGraph(on), await repo.rolesOfUser(on, userId)));
    return {};
  }

  async function requireRole(on: Db, name: string): Promise<RoleRow> {
    const r = await repo.findRole(on, name);
    if (!r) throw new AppError('role_not_found');
    return r;
  }

  async function requirePermissions(on: Db, names: string[]): Promise<void> {
    for (const n of names) if (!(await repo.findPermission(on, n))) throw new AppError('permission_not_found', { details: { permission: n } });
  }

  /**
   * The last-admin guards, checked in the change's transaction after the change:
   * a caller keeps an admin role, and at least one active super_admin remains.
   */
  async function assertGuards(trx: Db, caller: Caller, subjectId: string | null): Promise<void> {
    const g = await loadGraph(trx);
    if (caller.userId && subjectId === caller.userId) {
      const mine = closure(g, await repo.rolesOfUser(trx, caller.userId));
      if (!mine.has(ADMIN) && !mine.has(SUPER_ADMIN)) throw new AppError('last_admin_role');
    }
    const superRoles = [...g.roles.keys()].filter((r) => closure(g, [r]).has(SUPER_ADMIN));
    if (!caller.operator && (await repo.countHolders(trx, superRoles, null)) === 0) throw new AppError('last_super_admin');
  }

  function describeRole(g: Graph, r: RoleRow) {
    return {
      name: r.name, description: r.description, builtIn: r.built_in,
      permissions: [...(g.grants.get(r.name) ?? [])].sort(),
      includes: [...(g.includes.get(r.name) ?? [])].sort(),
      effectivePermissions: [...permissionsOf(g, [r.name])].sort(),
      createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
    };
  }

  /** Runs a graph change in a transaction (serialized), then tells every instance. */
  async function graphChange<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    const out = await db.transaction().execute(async (trx) => {
      await repo.lockGraph(trx);
      return fn(trx);
    });
    await changedGraph();
    return out;
  }

  async function createRole(caller: Caller, input: { name: string; description?: string; permissions?: string[]; includes?: string[] }) {
    if (!ROLE_NAME.test(input.name)) throw new AppError('validation_failed', { details: [{ field: 'name', message: 'letters, digits, _ . - (1 to 63), starting with a letter' }] });
    const permissions = [...new Set(input.permissions ?? [])];
    const includes = [...new Set(input.includes ?? [])];
    await graphChange(async (trx) => {
      if (await repo.findRole(trx, input.name)) throw new AppError('role_exists');
      await requirePermissions(trx, permissions);
      const g = await loadGraph(trx);
      for (const i of includes) if (!g.roles.has(i)) throw new AppError('role_not_found', { details: { role: i } });
      assertHolds(caller, [...permissions, ...permissionsOf(g, includes)]);
      const now = new Date(deps.clock.now());
      await trx.insertInto('roles').values({ name: input.name, description: input.description ?? '', created_at: now, updated_at: now }).execute();
      for (const p of permissions) await trx.insertInto('role_permissions').values({ role: input.name, permission: p, granted_by: caller.userId ?? null, granted_at: now }).execute();
      for (const i of includes) await trx.insertInto('role_includes').values({ role: input.name, includes: i, created_at: now }).execute();
      await audit(trx, { type: 'role.created', details: { role: input.name, permissions, includes } });
    });
    return getRole(input.name);
  }

  async function getRole(name: string) {
    const g = await loadGraph();
    const r = g.roles.get(name);
    if (!r) throw new AppError('role_not_found');
    return describeRole(g, r);
  }

  async function listRoles() {
    const g = await loadGraph();
    return [...g.roles.values()].map((r) => describeRole(g, r));
  }

  async function updateRole(_caller: Caller, name: string, input: { description?: string }) {
    await graphChange(async (trx) => {
      await requireRole(trx, name);
      if (input.description === undefined) return;
      await trx.updateTable('roles').set({ description: input.description, updated_at: new Date(deps.clock.now()) }).where('name', '=', name).execute();
      await audit(trx, { type: 'role.updated', details: { role: name, description: input.description } });
    });
    return getRole(name);
  }

  async function deleteRole(caller: Caller, name: string): Promise<void> {
    await graphChange(async (trx) => {
      const role = await requireRole(trx, name);
      if (role.built_in) throw new AppError('role_built_in');
      const g = await loadGraph(trx);
      assertHolds(caller, permissionsOf(g, [name]));
      const inUse = await trx.selectFrom('users').select('id').where('role', '=', name).limit(1).executeTakeFirst();
      if (inUse) throw new AppError('role_in_use');
      // An organization role held by a member stays (organization_members refers to it).
      const held = await trx.selectFrom('organization_members').select('user_id').where('role', '=', name).limit(1).executeTakeFirst();
      if (held) throw new AppError('role_in_use', { message: 'The role is the organization role of some members; change theirs first' });
      const holders = await trx.selectFrom('user_roles').select('user_id').where('role', '=', name).execute();
      await trx.deleteFrom('roles').where('name', '=', name).execute();
      await assertGuards(trx, caller, caller.userId ?? null);
      await audit(trx, { type: 'role.deleted', details: { role: name, usersAffected: holders.length } });
    });
  }

  async function grantPermission(caller: Caller, role: string, permission: string): Promise<boolean> {
    return graphChange(async (trx) => {
      await requireRole(trx, role);
      if (role === SUPER_ADMIN) throw new AppError('role_built_in');
      await requirePermissions(trx, [permission]);
      assertHolds(caller, [permission]);
      const added = await trx.insertInto('role_permissions').values({ role, permission, granted_by: caller.userId ?? null, granted_at: new Date(deps.clock.now()) })
        .onConflict((oc) => oc.columns(['role', 'permission']).doNothing()).returning('role').executeTakeFirst();
      if (added) await audit(trx, { type: 'role.permission_granted', details: { role, permission } });
      return Boolean(added);
    });
  }

  async function revokePermission(caller: Caller, role: string, permission: string): Promise<boolean> {
    return graphChange(async (trx) => {
      await requireRole(trx, role);
      if (role === SUPER_ADMIN) throw new AppError('role_built_in');
      assertHolds(caller, [permission]);
      const gone = await trx.deleteFrom('role_permissions').where('role', '=', role).where('permission', '=', permission).returning('role').executeTakeFirst();
      if (gone) {
        await assertGuards(trx, caller, caller.userId ?? null);
        await audit(trx, { type: 'role.permission_revoked', details: { role, permission } });
      }
      return Boolean(gone);
    });
  }

  async function addInclude(caller: Caller, role: string, included: string): Promise<boolean> {
    return graphChange(async (trx) => {
      await requireRole(trx, role);
      await requireRole(trx, included);
      const g = await loadGraph(trx);
      // A cycle would appear if `role` is reachable from what it is to include.
      if (role === included || closure(g, [included]).has(role)) throw new AppError('role_cycle');
      assertHolds(caller, permissionsOf(g, [included]));
      const added = await trx.insertInto('role_includes').values({ role, includes: included, created_at: new Date(deps.clock.now()) })
        .onConflict((oc) => oc.columns(['role', 'includes']).doNothing()).returning('role').executeTakeFirst();
      if (added) await audit(trx, { type: 'role.include_added', details: { role, includes: included } });
      return Boolean(added);
    });
  }

  async function removeInclude(caller: Caller, role: string, included: string): Promise<boolean> {
    return graphChange(async (trx) => {
      await requireRole(trx, role);
      if (role === SUPER_ADMIN) throw new AppError('role_built_in');
      const gone = await trx.deleteFrom('role_includes').where('role', '=', role).where('includes', '=', included).returning('role').executeTakeFirst();
      if (gone) {
        await assertGuards(trx, caller, caller.userId ?? null);
        await audit(trx, { type: 'role.include_removed', details: { role, includes: included } });
      }
      return Boolean(gone);
    });
  }

  async function listPermissions() {
    const [rows, g] = await Promise.all([repo.listPermissions(db), loadGraph()]);
    return rows.map((p) => ({
      name: p.name, description: p.description, builtIn: p.built_in, createdAt: p.created_at.toISOString(),
      roles: [...g.roles.keys()].filter((r) => (g.grants.get(r) ?? []).includes(p.name)),
    }));
  }

  async function createPermission(_caller: Caller, input: { name: string; description?: string }) {
    if (!PERMISSION_NAME.test(input.name)) throw new AppError('validation_failed', { details: [{ field: 'name', message: 'resource:action in lower case (letters, digits, _ . -), the action may be *' }] });
    await graphChange(async (trx) => {
      if (await repo.findPermission(trx, input.name)) throw new AppError('permission_exists');
      await trx.insertInto('permissions').values({ name: input.name, description: input.description ?? '', created_at: new Date(deps.clock.now()) }).execute();
      await audit(trx, { type: 'permission.created', details: { permission: input.name } });
    });
    return (await listPermissions()).find((p) => p.name === input.name)!;
  }

  async function deletePermission(caller: Caller, name: string): Promise<void> {
    await graphChange(async (trx) => {
      const p = await repo.findPermission(trx, name);
      if (!p) throw new AppError('permission_not_found');
      if (p.built_in) throw new AppError('permission_built_in');
      assertHolds(caller, [name]);
      // Its grants to roles and service accounts go with it (named in the entry).
      const roles = (await trx.selectFrom('role_permissions').select('role').where('permission', '=', name).execute()).map((r) => r.role);
      await trx.deleteFrom('permissions').where('name', '=', name).execute();
      await audit(trx, { type: 'permission.deleted', details: { permission: name, roles } });
    });
  }

  /** Runs a change to one user's roles in a transaction, with the guards, then announces it. */
  async function userChange<T>(userId: string, fn: (trx: Db) => Promise<T>): Promise<T> {
    const out = await db.transaction().execute(async (trx) => {
      await repo.lockGraph(trx);
      const user = await trx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().executeTakeFirst();
      if (!user) throw new AppError('not_found');
      return fn(trx);
    });
    await deps.userChanged(userId);
    return out;
  }

  /** Assigns an extra role inside the caller's transaction (graph locked by the caller). */
  async function assignIn(trx: Db, caller: Caller, userId: string, role: string, extra: Record<string, unknown> = {}): Promise<boolean> {
    await requireRole(trx, role);
    assertHolds(caller, permissionsOf(await loadGraph(trx), [role]));
    const added = await trx.insertInto('user_roles').values({ user_id: userId, role, granted_by: caller.userId ?? null, granted_at: new Date(deps.clock.now()) })
      .onConflict((oc) => oc.columns(['user_id', 'role']).doNothing()).returning('role').executeTakeFirst();
    if (added) await audit(trx, { type: 'user.role_assigned', subject: userId, details: { role, ...extra } });
    return Boolean(added);
  }

  async function assignRole(caller: Caller, userId: string, role: string): Promise<boolean> {
    return userChange(userId, async (trx) => assignIn(trx, caller, userId, role, await assertMayActOn(caller, userId, trx)));
  }

  /** Effective permissions of roles as the transaction sees them; role_not_found for an unknown one. */
  async function permissionsOfRolesIn(trx: Db, roles: string[]): Promise<string[]> {
    const g = await loadGraph(trx);
    for (const r of roles) if (!g.roles.has(r)) throw new AppError('role_not_found', { details: { role: r } });
    return [...permissionsOf(g, roles)];
  }

  async function removeRole(caller: Caller, userId: string, role: string): Promise<boolean> {
    return userChange(userId, async (trx) => {
      const bypass = await assertMayActOn(caller, userId, trx);
      const user = await trx.selectFrom('users').select('role').where('id', '=', userId).executeTakeFirstOrThrow();
      if (user.role === role) throw new AppError('default_role');
      const gone = await trx.deleteFrom('user_roles').where('user_id', '=', userId).where('role', '=', role).returning('role').executeTakeFirst();
      if (!gone) return false;
      await assertGuards(trx, caller, userId);
      await audit(trx, { type: 'user.role_removed', subject: userId, details: { role, ...bypass } });
      return true;
    });
  }

  /** Changes a user's default role inside the caller's transaction (the user row is locked by the caller). */
  async function setDefaultRoleIn(trx: Db, caller: Caller, userId: string, role: string, extra: Record<string, unknown> = {}): Promise<boolean> {
    await repo.lockGraph(trx);
    await requireRole(trx, role);
    const user = await trx.selectFrom('users').select('role').where('id', '=', userId).executeTakeFirst();
    if (!user) throw new AppError('not_found');
    if (user.role === role) return false;
    assertHolds(caller, permissionsOf(await loadGraph(trx), [role]));
    await trx.updateTable('users').set({ role, updated_at: new Date(deps.clock.now()) }).where('id', '=', userId).execute();
    await assertGuards(trx, caller, userId);
    await audit(trx, { type: 'user.default_role_changed', subject: userId, details: { from: user.role, to: role, ...extra } });
    return true;
  }

  return {
    accessOf,
    accessCached,
    /** The user's roles and every role they include. */
    effectiveRoles: async (userId: string) => [...closure(await loadGraph(), await rolesOf(userId))].sort(),
    /** Whether the user may do `permission` now (server-side check). */
    can: async (userId: string, permission: string) => allows(new Set((await accessOf(userId)).permissions), permission),
    /** Roles' effective permissions (for service accounts and checks). */
    permissionsOfRoles: async (roles: string[]) => [...permissionsOf(await loadGraph(), roles)].sort(),
    listRoles, getRole, createRole, updateRole, deleteRole, grantPermission, revokePermission, addInclude, removeInclude,
    listPermissions, createPermission, deletePermission,
    assignRole, assignIn, removeRole, setDefaultRoleIn, assertGuards, assertHolds, assertMayActOn, requirePermissions, permissionsOfRolesIn,
    userRoleGrants: (userId: string) => repo.userRoleGrants(db, userId),
    lockGraph: (trx: Db) => repo.lockGraph(trx),
    /** Users who hold `role` through any role (active or not): for the last super_admin guard in tests. */
    holders: async (role: string) => {
      const g = await loadGraph();
      return repo.countHolders(db, [...g.roles.keys()].filter((r) => closure(g, [r]).has(role)), null);
    },
    /** Makes sure a role exists (AUTH_DEFAULT_ROLE at start-up). */
    ensureRole: async (name: string) => {
      const added = await db.insertInto('roles').values({ name }).onConflict((oc) => oc.column('name').doNothing()).returning('name').executeTakeFirst();
      if (added) await changedGraph();
    },
    /** Whether any active user holds admin or super_admin (the bootstrap's question). */
    adminExists: async (on: Db) => {
      const g = await loadGraph(on);
      const adminRoles = [...g.roles.keys()].filter((r) => { const c = closure(g, [r]); return c.has(ADMIN) || c.has(SUPER_ADMIN); });
      return (await repo.countHolders(on, adminRoles, null)) > 0;
    },
    /** Grants super_admin as an extra role inside a transaction (first admin, bootstrap). */
    grantSuperAdminIn: async (trx: Db, userId: string) => {
      await trx.insertInto('user_roles').values({ user_id: userId, role: SUPER_ADMIN, granted_by: null, granted_at: new Date(deps.clock.now()) })
        .onConflict((oc) => oc.columns(['user_id', 'role']).doNothing()).execute();
    },
  };
}

export type RbacService = ReturnType<typeof createRbacService>;
