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
//
// Each use case is a plain function taking RbacDeps first, in a file per theme (graph,
// access, safety-rules, roles, permissions, user-roles); this file creates the instance's
// caches once and binds the functions to one set of dependencies for the composition root.
import type { ReadBatch } from '../../core/db/index.ts';
import type { Db } from '../../database.ts';
import { accessCached, accessOf, accessRead, can, effectiveRoles, permissionsOfRoles, permissionsOfRolesIn, rolesOfUser } from './access.ts';
import { requirePermissions } from './graph.ts';
import { createPermission, deletePermission, grantPermission, listPermissions, revokePermission } from './permissions.ts';
import { createRbacState, type RbacDeps, type RbacServiceDeps } from './rbac-deps.ts';
import * as repo from './rbac.repo.ts';
import { addInclude, createRole, deleteRole, ensureRole, getRole, listRoles, removeInclude, updateRole, type NewRole } from './roles.ts';
import { adminExists, assertGuards, assertHolds, assertMayActOn, holders, type Caller } from './safety-rules.ts';
import { assignIn, assignRole, grantSuperAdminIn, removeRole, setDefaultRoleIn } from './user-roles.ts';

export type { RbacDeps, RbacServiceDeps } from './rbac-deps.ts';
export type { Access } from './access.ts';
export type { Caller } from './safety-rules.ts';
export { ADMIN, allows, PERMISSION_NAME, ROLE_NAME, SUPER_ADMIN } from './names.ts';

export function createRbacService(deps: RbacServiceDeps) {
  const all: RbacDeps = { ...deps, state: createRbacState(deps.bus, deps.clock) };
  return {
    accessOf: (userId: string) => accessOf(all, userId),
    accessCached: (userId: string) => accessCached(all, userId),
    accessRead: (reads: ReadBatch, user: { id: string; role: string }) => accessRead(all, reads, user),
    effectiveRoles: (userId: string) => effectiveRoles(all, userId),
    can: (userId: string, permission: string) => can(all, userId, permission),
    permissionsOfRoles: (roles: string[]) => permissionsOfRoles(all, roles),
    listRoles: () => listRoles(all),
    getRole: (name: string) => getRole(all, name),
    createRole: (caller: Caller, input: NewRole) => createRole(all, caller, input),
    updateRole: (caller: Caller, name: string, input: { description?: string }) => updateRole(all, caller, name, input),
    deleteRole: (caller: Caller, name: string) => deleteRole(all, caller, name),
    grantPermission: (caller: Caller, role: string, permission: string) => grantPermission(all, caller, role, permission),
    revokePermission: (caller: Caller, role: string, permission: string) => revokePermission(all, caller, role, permission),
    addInclude: (caller: Caller, role: string, included: string) => addInclude(all, caller, role, included),
    removeInclude: (caller: Caller, role: string, included: string) => removeInclude(all, caller, role, included),
    listPermissions: () => listPermissions(all),
    createPermission: (caller: Caller, input: { name: string; description?: string }) => createPermission(all, caller, input),
    deletePermission: (caller: Caller, name: string) => deletePermission(all, caller, name),
    assignRole: (caller: Caller, userId: string, role: string) => assignRole(all, caller, userId, role),
    assignIn: (trx: Db, caller: Caller, userId: string, role: string, extra?: Record<string, unknown>) => assignIn(all, trx, caller, userId, role, extra),
    removeRole: (caller: Caller, userId: string, role: string) => removeRole(all, caller, userId, role),
    setDefaultRoleIn: (trx: Db, caller: Caller, userId: string, role: string, extra?: Record<string, unknown>) => setDefaultRoleIn(all, trx, caller, userId, role, extra),
    assertGuards: (trx: Db, caller: Caller, subjectId: string | null) => assertGuards(all, trx, caller, subjectId),
    assertHolds,
    assertMayActOn: (caller: Caller, userId: string, on?: Db) => assertMayActOn(all, caller, userId, on),
    requirePermissions,
    permissionsOfRolesIn: (trx: Db, roles: string[]) => permissionsOfRolesIn(all, trx, roles),
    userRoleGrants: (userId: string) => repo.userRoleGrants(all.db, userId),
    lockGraph: (trx: Db) => repo.lockGraph(trx),
    holders: (role: string) => holders(all, role),
    ensureRole: (name: string) => ensureRole(all, name),
    adminExists: (on: Db) => adminExists(all, on),
    /** A user's roles as the transaction sees them, the primary role first (for the entry of a change of roles). */
    rolesOfUserIn: (trx: Db, userId: string) => rolesOfUser(trx, userId),
    grantSuperAdminIn: (trx: Db, userId: string) => grantSuperAdminIn(all, trx, userId),
  };
}

export type RbacService = ReturnType<typeof createRbacService>;
