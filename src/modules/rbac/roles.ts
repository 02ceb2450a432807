// Roles: their listing and every change to them and to what they include. Each change
// runs in a transaction that holds the graph's lock, then drops the graph on every
// instance. Rules: names have a shape, there are no cycles between roles, built-in roles
// stay, and nobody creates or includes a role granting what they do not hold.
import { AppError } from '../../core/errors/index.ts';
import { primaryRoleInUse } from '../users/index.ts';
import { changedGraph, closure, graphChange, loadGraph, permissionsOf, requirePermissions, requireRole } from './graph.ts';
import { ROLE_NAME, SUPER_ADMIN } from './names.ts';
import type { Graph, RbacDeps } from './rbac-deps.ts';
import * as repo from './rbac.repo.ts';
import type { RoleRow } from './rbac.table.ts';
import { assertGuards, assertHolds, type Caller } from './safety-rules.ts';

/** A role as the admin API shows it. */
function describeRole(g: Graph, r: RoleRow) {
  return {
    name: r.name, description: r.description, builtIn: r.built_in,
    permissions: [...(g.grants.get(r.name) ?? [])].sort(),
    includes: [...(g.includes.get(r.name) ?? [])].sort(),
    effectivePermissions: [...permissionsOf(g, [r.name])].sort(),
    createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
  };
}

export async function getRole(deps: RbacDeps, name: string) {
  const g = await loadGraph(deps);
  const r = g.roles.get(name);
  if (!r) throw new AppError('role_not_found');
  return describeRole(g, r);
}

export async function listRoles(deps: RbacDeps) {
  const g = await loadGraph(deps);
  return [...g.roles.values()].map((r) => describeRole(g, r));
}

/** What a new role is made of: its name, and optionally what it grants and includes. */
export interface NewRole {
  name: string;
  description?: string;
  permissions?: string[];
  includes?: string[];
}

export async function createRole(deps: RbacDeps, caller: Caller, input: NewRole) {
  if (!ROLE_NAME.test(input.name)) throw new AppError('validation_failed', { details: [{ field: 'name', message: 'letters, digits, _ . - (1 to 63), starting with a letter' }] });
  const permissions = [...new Set(input.permissions ?? [])];
  const includes = [...new Set(input.includes ?? [])];
  await graphChange(deps, async (trx) => {
    if (await repo.findRole(trx, input.name)) throw new AppError('role_exists');
    await requirePermissions(trx, permissions);
    const g = await loadGraph(deps, trx);
    for (const i of includes) if (!g.roles.has(i)) throw new AppError('role_not_found', { details: { role: i } });
    assertHolds(caller, [...permissions, ...permissionsOf(g, includes)]);
    const now = new Date(deps.clock.now());
    await repo.insertRole(trx, { name: input.name, description: input.description ?? '', created_at: now, updated_at: now });
    for (const p of permissions) await repo.insertGrant(trx, { role: input.name, permission: p, granted_by: caller.userId ?? null, granted_at: now });
    for (const i of includes) await repo.insertInclude(trx, { role: input.name, includes: i, created_at: now });
    await deps.audit(trx, { type: 'role.created', details: { role: input.name, permissions, includes } });
  });
  return getRole(deps, input.name);
}

export async function updateRole(deps: RbacDeps, _caller: Caller, name: string, input: { description?: string }) {
  await graphChange(deps, async (trx) => {
    await requireRole(trx, name);
    if (input.description === undefined) return;
    await repo.setRoleDescription(trx, name, input.description, new Date(deps.clock.now()));
    await deps.audit(trx, { type: 'role.updated', details: { role: name, description: input.description } });
  });
  return getRole(deps, name);
}

export async function deleteRole(deps: RbacDeps, caller: Caller, name: string): Promise<void> {
  await graphChange(deps, async (trx) => {
    const role = await requireRole(trx, name);
    if (role.built_in) throw new AppError('role_built_in');
    const g = await loadGraph(deps, trx);
    assertHolds(caller, permissionsOf(g, [name]));
    if (await primaryRoleInUse(trx, name)) throw new AppError('role_in_use');
    // An organization role held by a member stays (organization_members refers to it).
    if (await deps.roleHeldByMembers(trx, name)) throw new AppError('role_in_use', { message: 'The role is the organization role of some members; change theirs first' });
    const holders = await repo.userIdsWithExtraRole(trx, name);
    await repo.deleteRole(trx, name);
    await assertGuards(deps, trx, caller, caller.userId ?? null);
    await deps.audit(trx, { type: 'role.deleted', details: { role: name, usersAffected: holders.length } });
  });
}

export async function addInclude(deps: RbacDeps, caller: Caller, role: string, included: string): Promise<boolean> {
  return graphChange(deps, async (trx) => {
    await requireRole(trx, role);
    await requireRole(trx, included);
    const g = await loadGraph(deps, trx);
    // A cycle would appear if `role` is reachable from what it is to include.
    if (role === included || closure(g, [included]).has(role)) throw new AppError('role_cycle');
    assertHolds(caller, permissionsOf(g, [included]));
    const added = await repo.addInclude(trx, { role, includes: included, created_at: new Date(deps.clock.now()) });
    if (added) await deps.audit(trx, { type: 'role.include_added', details: { role, includes: included } });
    return Boolean(added);
  });
}

export async function removeInclude(deps: RbacDeps, caller: Caller, role: string, included: string): Promise<boolean> {
  return graphChange(deps, async (trx) => {
    await requireRole(trx, role);
    if (role === SUPER_ADMIN) throw new AppError('role_built_in');
    const gone = await repo.deleteInclude(trx, role, included);
    if (gone) {
      await assertGuards(deps, trx, caller, caller.userId ?? null);
      await deps.audit(trx, { type: 'role.include_removed', details: { role, includes: included } });
    }
    return Boolean(gone);
  });
}

/** Makes sure a role exists (AUTH_DEFAULT_ROLE at start-up). */
export async function ensureRole(deps: RbacDeps, name: string): Promise<void> {
  if (await repo.ensureRole(deps.db, name)) await changedGraph(deps);
}
